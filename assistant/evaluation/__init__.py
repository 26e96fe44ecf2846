"""The project's own evaluation sets and the code that scores the assistant on them."""

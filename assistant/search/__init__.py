"""Finding the passages that answer a question: dense and lexical search fused by rank."""

"""The answer stage: the question's language, what the model reads, the prompts, the model, the checks of
its answer, and the pipeline that runs them in that order (``pipeline.Answerer``)."""

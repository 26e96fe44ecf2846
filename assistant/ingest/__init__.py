"""Articles in, versioned index out: loading, chunking, embedding, the vector store and the lexical index."""

"""The front end: source text -> tokens -> syntax tree -> code objects. It knows nothing of the runtime."""

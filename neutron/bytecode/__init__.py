"""Bytecode: the opcode table (the one source of each instruction's meaning and stack effect) and code objects."""

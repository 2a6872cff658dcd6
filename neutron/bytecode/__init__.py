"""Bytecode: the opcode table (the one source of each instruction's number, operand, stack effect and meaning), code
objects, and the disassembler that prints them."""

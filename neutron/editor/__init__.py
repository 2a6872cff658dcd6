"""Neutron in editors: the Pygments lexer, the formatter, the language server and the rich prompt.

Each module imports its third-party library (pygments, prompt_toolkit, pygls) itself, so that running a program
never loads any of them.
"""

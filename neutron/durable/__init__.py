"""Durable execution: the snapshot format, its writer and reader."""

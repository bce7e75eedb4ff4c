"""Lookout exporters: one package per monitored system, all built on lookout.exporters.runtime."""

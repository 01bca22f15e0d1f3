"""The base floor: the error hierarchy, the typed settings and the process's memory helpers.

Everything else may import it; it imports nothing of the project.
"""

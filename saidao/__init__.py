"""saidao (赛道): reads new-track declarations and policies into one searchable index."""

__version__ = "0.1.0"

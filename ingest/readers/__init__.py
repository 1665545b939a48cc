"""One reader per format, each producing :class:`saidao.document.Document`."""

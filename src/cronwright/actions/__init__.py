"""Actions: what a workflow step does (``python``, ``http``, ``shell``, ``trigger``)."""

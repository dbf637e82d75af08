"""The commands of the console script, one module per command (scanner.cli.COMMANDS names them,
in --help's order), each with ``add_arguments(parser)`` and ``run(args)``; a module whose name
starts with ``_`` is a part of one (``_access_find``, ``_access_render``) or what several share
(``_outputs``: the single files commands write)."""

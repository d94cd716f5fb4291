# bench/: fragment of the top-level Makefile.am (owned by its module).

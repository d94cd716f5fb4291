# man/: the manual pages, installed by make install and linted by
# tests/integration/man_pages.sh (mandoc -Tlint; every --help option documented).
dist_man_MANS += man/heapsnap.7
dist_man_MANS += man/heapsnap.1
dist_man_MANS += man/heapsnap-victim.1
dist_man_MANS += man/heapsnap-analyze.1
dist_man_MANS += man/libheapsnap.3

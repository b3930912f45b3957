"""``python -m cronwright``: the same command line as the ``cronwright`` script."""

from cronwright.cli import main

if __name__ == "__main__":
    main()

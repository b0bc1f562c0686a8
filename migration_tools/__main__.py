"""`python -m migration_tools`: the admin CLI for the Firebase → PostgreSQL move (see migration_tools.cli)."""

from migration_tools.cli import main

if __name__ == "__main__":
    main()

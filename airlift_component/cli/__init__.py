"""The `airlift` command. Each subcommand lives in its own ``cmd_<name>.py`` module."""

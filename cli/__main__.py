"""`python -m cli …` is `cityops …`: how `cityops run` starts its children with the same interpreter."""

from cli.main import app

app(prog_name="cityops")

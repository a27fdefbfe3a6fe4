"""Functions the isolate benchmark ships to isolate's agents.

They are pickled by reference (module + name, a few dozen bytes), which is the
cheapest way isolate can ship a function: the agent imports this module
instead of unpickling code. bench.py makes the module importable in every
agent (PYTHONPATH for agents in plain virtualenvs, a .pth file in the
benchmark's virtualenv for agents that inherit from it).
"""


def two():
    return 1 + 1


def payload(size):
    return b"x" * size


def import_six():
    import six

    return six.__version__


def import_six_and_toml():
    import six
    import toml

    return six.__version__ + "/" + toml.__version__

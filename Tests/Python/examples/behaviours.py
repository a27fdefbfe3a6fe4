# The client's other features, one scenario per argument, each printing what the test checks.
import sys

from fal_serverless import cached, isolated


@cached
def load_model(size: int) -> list:
    print("loading the model")
    return list(range(size))


@isolated(keep_alive=30)
def predict(x: int) -> tuple:
    return (len(load_model(3)), x)


@isolated(keep_alive=0)
def first_call_in_its_process() -> bool:
    import isolate
    seen = getattr(isolate, "seen_a_call", False)
    isolate.seen_a_call = True
    return not seen


@isolated(keep_alive=5)
def square(x: int) -> int:
    return x * x


@isolated()
def raises():
    raise KeyError("no such user: ada")


@isolated()
def crashes():
    import os
    print("about to exit")
    os._exit(3)


@isolated()
def segfaults():
    import ctypes
    print("about to read address 0")
    ctypes.string_at(0)


@isolated()
def eats_memory() -> int:
    hoard = []
    while True:
        hoard.append(bytearray(64 << 20))


@isolated(machine_type="A100")
def needs_a_gpu():
    return 1


@isolated(machine_type="XXL")
def unknown_machine():
    return 1


@isolated(requirements=["isolated-no-such-package-xyz==1.0"])
def uninstallable():
    return 1


scenario = sys.argv[1]
if scenario == "cached":
    print("results:", predict(1), predict(2))
elif scenario == "keep_alive_0":
    print("fresh processes:", first_call_in_its_process() and first_call_in_its_process())
elif scenario == "submit":
    futures = [square.submit(x) for x in range(6)]
    # The client pickles each submitted call on its own thread, and dill 0.3.7 (detect.nestedglobals) swaps the
    # process-wide sys.stdout while it disassembles a function: two threads doing so at once can leave sys.stdout
    # pointing at a discarded buffer. A client bug, not the server's, so the answer goes to the original stream.
    print("squares:", [future.result() for future in futures], file=sys.__stdout__)
elif scenario == "raises":
    try:
        raises()
    except KeyError as error:
        print("raised:", repr(error))
elif scenario == "crashes":
    crashes()
elif scenario == "segfaults":
    segfaults()
elif scenario == "eats_memory":
    eats_memory()
elif scenario == "needs_a_gpu":
    needs_a_gpu()
elif scenario == "unknown_machine":
    unknown_machine()
elif scenario == "uninstallable":
    uninstallable()

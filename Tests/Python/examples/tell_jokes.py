# The reference's nested example, as written (isolated-functions-overview.md), then called.
from fal_serverless import isolated

@isolated(requirements=["pyjokes"], machine_type='GPU', keep_alive=10)
def isolated_joke() -> str:
    import pyjokes
    return pyjokes.get_joke()

@isolated(requirements=["cowsay", "fal_serverless"])
def tell_jokes():
    import cowsay
    cowsay.cow(isolated_joke())
    cowsay.fox(isolated_joke())

tell_jokes()

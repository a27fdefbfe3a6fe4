# The reference's first example, as written (isolated-functions-overview.md).
from fal_serverless import isolated


@isolated(requirements=["pyjokes"], machine_type='GPU', keep_alive=10)
def isolated_joke() -> str:
    import pyjokes
    return pyjokes.get_joke()


print(isolated_joke())

# The reference's second keep_alive example (keep-alive.md), against local URLs: no internet here.
import sys

from fal_serverless import isolated

@isolated(keep_alive=10, requirements=["requests"])
def get_response(url):
    import requests
    response = requests.get(url)
    return response.text

print(get_response(sys.argv[1])) # First call (slower)

print(get_response(sys.argv[2])) # Second call (faster)

# The reference's keep_alive example, as written (keep-alive.md), called twice and printed.
from fal_serverless import isolated

@isolated(keep_alive=300)
def get_two():
  return 1+1

get_two()
print(get_two())

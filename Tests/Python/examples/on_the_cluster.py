# Where a nested pair runs on a cluster: the outer function on XS, the function it calls on GPU,
# the type only the node with the GPU holds. Prints both placements as JSON.
import json
import sys
from typing import Dict

from fal_serverless import isolated


@isolated(requirements=[], machine_type="GPU", keep_alive=0)
def placement() -> Dict[str, str]:
    import os
    return {name: os.environ.get(name, "") for name in ("SLURM_JOB_ID", "SLURMD_NODENAME", "CUDA_VISIBLE_DEVICES")}


@isolated(requirements=["fal_serverless"], keep_alive=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
def outer() -> Dict[str, Dict[str, str]]:
    import os
    here = {name: os.environ.get(name, "") for name in ("SLURM_JOB_ID", "SLURMD_NODENAME", "CUDA_VISIBLE_DEVICES")}
    return {"outer": here, "inner": placement()}


# To the real stdout: dill swaps sys.stdout while it pickles (see submit_fans_out in behaviours.py).
print(json.dumps(outer()), file=sys.__stdout__)

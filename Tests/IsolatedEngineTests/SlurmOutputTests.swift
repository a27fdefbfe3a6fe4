import IsolatedCore
import IsolatedEngine
import Testing

@Suite("What Slurm's commands print, read")
struct SlurmOutputTests {
    @Test("sinfo's nodes: one line per node and partition, the default partition's star dropped, (null) as none")
    func nodes() {
        let nodes = SlurmNode.parse([
            "node1|2|12052|(null)|(null)|main*|idle",
            "node2|2|12052|gpu:1|gpu|main*|mixed",
            "node2|2|12052|gpu:1|gpu|gpus|mixed",
            "node3|4|8000|(null)|(null)|main*|down*",
            "garbage",
        ])
        #expect(nodes.map(\.name) == ["node1", "node2", "node3"])
        #expect(nodes[1].partitions == ["main", "gpus"] && nodes[1].generic == "gpu:1" && nodes[0].generic.isEmpty)
        #expect(nodes.map(\.isUsable) == [true, true, false])
        #expect(nodes[1].summary == "node2: 2 CPUs, 12052 MiB, gpu:1, features gpu, partitions main,gpus, mixed")
    }

    @Test("a node that does not answer (its state starred) is not usable")
    func unresponsiveNode() {
        #expect(!SlurmNode.parse(["node1|2|100|(null)|(null)|main*|idle*"])[0].isUsable)
    }

    @Test("a job is sized from its machine type: whole CPUs rounded up, memory in MiB, GPUs as GRES, and the type's placement")
    func sizing() {
        let small = MachineTypeSpec(name: "XS", cpus: 0.5, memory: 512 << 20, processes: 64)
        #expect(SlurmCommands.sizing(of: small) == ["--nodes=1", "--ntasks=1", "--cpus-per-task=1", "--mem=512M"])
        let gpu = MachineTypeSpec(
            name: "GPU", cpus: 3.2, memory: (1 << 30) + 1, processes: 64, gpus: 2,
            cluster: ClusterPlacement(partition: "gpu", constraint: "a100&nvlink", account: "ml", qos: "high"))
        #expect(
            SlurmCommands.sizing(of: gpu) == [
                "--nodes=1", "--ntasks=1", "--cpus-per-task=4", "--mem=1025M", "--gres=gpu:2", "--partition=gpu", "--constraint=a100&nvlink",
                "--account=ml", "--qos=high",
            ])
    }

    @Test("srun's and slurmstepd's lines say out of memory, a lost node, or a cancelled job; the function's own lines say nothing")
    func diagnosis() {
        #expect(SlurmLauncher.diagnose("srun: error: node1: task 0: Out Of Memory") == .outOfMemory)
        #expect(
            SlurmLauncher.diagnose(
                "slurmstepd-node1: error: Detected 1 oom-kill event(s) in StepId=85.0. Some of your processes may have been killed")
                == .outOfMemory)
        #expect(SlurmLauncher.diagnose("srun: error: Node failure on node2") == .lost("Slurm reports a node failure on node2"))
        #expect(
            SlurmLauncher.diagnose(
                "slurmstepd-node1: error: *** STEP 92.0 ON node1 CANCELLED AT 2026-12-02T07:12:17 DUE TO NODE FAILURE, SEE SLURMCTLD LOG ***")
                == .lost("Slurm cancelled step 92.0 on node1 due to node failure"))
        #expect(
            SlurmLauncher.diagnose("slurmstepd: error: *** JOB 7 ON node2 CANCELLED AT 2026-12-02T07:12:17 ***")
                == .lost("Slurm cancelled job 7 on node2, by scancel or an operator"))
        #expect(SlurmLauncher.diagnose("*** important *** output") == nil)
        #expect(SlurmLauncher.diagnose("hello") == nil)
    }
}

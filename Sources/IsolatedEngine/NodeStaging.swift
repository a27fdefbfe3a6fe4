import Foundation
package import IsolatedCore
import IsolatedWire

/// What a runner needs of the engine's home, brought to a node that does not mount it: each
/// directory archived once (`tar`, in `home/cluster/archives`), sent with `sbcast` into the
/// runner's job, unpacked at the same path and marked, so later runners on that node skip it.
///
/// A staged launch is one local process, like a shared one's `srun`, so its output, its end
/// and its cancellation work the same way: ``script`` allocates the job with `salloc` (whose
/// queue and grant lines reach the engine as `srun`'s do), asks the node in one step which
/// directories it lacks, sends those, and runs the runner as the job's next step.
package struct NodeStaging: Sendable {
    private let home: String
    private let archives = SingleFlight<String, String>()

    package init(home: String) {
        self.home = home
    }

    /// The directories of the home a worker needs, outermost only.
    package static func directories(of worker: WorkerExecutable, sandboxHelper: String?, home: String) -> [String] {
        let candidates =
            worker.libraryDirectories + [URL(fileURLWithPath: worker.path).deletingLastPathComponent().path]
            + (sandboxHelper.map { [URL(fileURLWithPath: $0).deletingLastPathComponent().path] } ?? [])
        let inHome = Set(candidates.map { URL(fileURLWithPath: $0).standardizedFileURL.path }.filter { $0.hasPrefix(home + "/") })
        return inHome.filter { path in !inHome.contains { path != $0 && path.hasPrefix($0 + "/") } }.sorted()
    }

    /// The archive of `directory`, made once per engine home and kept: directories the engine
    /// builds are never changed in place, only removed.
    package func archive(of directory: String) async throws(IsolatedError) -> String {
        do {
            return try await archives.value(for: directory) { () async throws -> String in
                let folder = "\(home)/cluster/archives"
                let path = "\(folder)/\(SHA256.hex(directory).prefix(24)).tar"
                if FileManager.default.fileExists(atPath: path) { return path }
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                } catch {
                    throw IsolatedError(code: .runnerStartFailed, message: "cannot create \(folder): \(error)")
                }
                let partial = "\(path).\(UUID().uuidString)"
                let result: Command.Result
                do {
                    let arguments = ["-cf", partial, "-C", "/"] + Self.exclusions(in: directory) + [String(directory.dropFirst())]
                    result = try await Command.run("/bin/tar", arguments)
                } catch {
                    throw IsolatedError(code: .runnerStartFailed, message: "cannot run tar to stage \(directory): \(error)")
                }
                guard result.succeeded, rename(partial, path) == 0 else {
                    try? FileManager.default.removeItem(atPath: partial)
                    throw IsolatedError(
                        code: .runnerStartFailed,
                        message: "cannot archive \(directory) for the cluster's nodes: \(result.output.suffix(3).joined(separator: " "))")
                }
                return path
            }
        } catch let error as IsolatedError {
            throw error
        } catch {
            throw IsolatedError(code: .runnerStartFailed, message: "cannot archive \(directory): \(error)")
        }
    }

    /// What a node never uses, left out of `directory`'s archive: the statically linked worker
    /// (11 MB; a cluster runner starts from the dynamic one, since a node's C library may differ),
    /// its marker and temporaries, and the runtime's static archives.
    static func exclusions(in directory: String) -> [String] {
        // tar reads each as a wildcard pattern, so the directory's own *, ?, [ and \ are escaped.
        let escaped = String(directory.dropFirst()).reduce(into: "") { text, character in
            if "*?[\\".contains(character) { text.append("\\") }
            text.append(character)
        }
        return ["--exclude=\(escaped)/worker-static*", "--exclude=\(escaped)/static", "--exclude=\(escaped)/static.lock"]
    }

    /// The arguments of `/bin/bash -c` ``script``.
    package static func arguments(
        commands: SlurmCommands, job name: String, sizing: [String], directory: String, owner: String?,
        staged: [(directory: String, archive: String)],
        command: [String]
    ) -> [String] {
        ["-c", script, "isolated-stage", commands.srun, commands.salloc, commands.sbcast, commands.scancel, name, directory, owner ?? ""]
            + ["\(sizing.count)"] + sizing + ["\(staged.count)"] + staged.flatMap { [$0.directory, $0.archive] } + command
    }

    /// Allocates, stages what the node lacks, runs the runner, and frees the allocation.
    static let script = #"""
        set -uo pipefail
        srun=$1 salloc=$2 sbcast=$3 scancel=$4 name=$5 directory=$6 owner=$7
        shift 7
        count=$1; shift; sizing=("${@:1:count}"); shift "$count"
        count=$1; shift; staged=("${@:1:2*count}"); shift "$((2 * count))"
        job=""
        while IFS= read -r line; do
            printf '%s\n' "$line" >&2
            case $line in "salloc: Granted job allocation "*) job=${line##* } ;; esac
        done < <("$salloc" --no-shell --job-name="$name" "${sizing[@]}" 2>&1)
        [ -n "$job" ] || exit 1
        trap '"$scancel" "$job"' EXIT
        directories=()
        for ((i = 0; i < ${#staged[@]}; i += 2)); do directories+=("${staged[i]}"); done
        missing=$("$srun" --jobid="$job" --quiet --chdir=/tmp /bin/sh -c 'for d; do [ -e "$d/.isolated-staged" ] || printf "%s\n" "$d"; done' sh "${directories[@]}") || exit 1
        unpack=()
        for ((i = 0; i < ${#staged[@]}; i += 2)); do
            grep -qxF -- "${staged[i]}" <<<"$missing" || continue
            target="/tmp/isolated-stage-$job-$((i / 2)).tar"
            "$sbcast" --jobid="$job" --force "${staged[i + 1]}" "$target" || exit 1
            unpack+=("${staged[i]}" "$target")
        done
        "$srun" --jobid="$job" --kill-on-bad-exit=1 --export=ALL --chdir=/tmp /bin/sh -c '
            directory=$1 owner=$2 count=$3; shift 3
            while [ "$count" -gt 0 ]; do
                tar -xf "$2" -C / && touch "$1/.isolated-staged" && rm -f "$2" || { echo "isolated: cannot unpack $1 on this node" >&2; exit 125; }
                shift 2; count=$((count - 1))
            done
            mkdir -p "$directory/tmp" && cd "$directory" || exit 125
            [ -z "$owner" ] || chown "$owner" "$directory" "$directory/tmp" || exit 125
            exec "$@"' sh "$directory" "$owner" "$((${#unpack[@]} / 2))" "${unpack[@]}" "$@"
        """#
}

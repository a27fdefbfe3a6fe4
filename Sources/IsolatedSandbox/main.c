// isolated-sandbox: starts one runner inside its own mount, PID, IPC and UTS namespaces (and,
// on request, network namespace), in its cgroups, as an unprivileged user.
//
// The engine compiles this file once per toolchain (see Runtime.swift) and starts every
// sandboxed runner through it, so the sandbox is in place before any of the user's code, or
// any library it links, is loaded. It runs as root and keeps nothing of root in the runner.
//
//   isolated-sandbox [options] -- EXECUTABLE
//     --cgroup FILE       join this cgroup (its cgroup.procs file) first; repeatable
//     --cpu-quota Q:P     a CPU cgroup of its own under the one it was started in, allowing Q
//                         microseconds of CPU per P (a fraction of a CPU on a cluster node,
//                         where the scheduler allocates whole ones); removed when it ends
//     --hostname NAME     the UTS namespace's host name
//     --no-network        a private network namespace with only loopback
//     --read-only         remount every inherited mount read-only
//     --hide PATH         cover PATH with an empty read-only directory; repeatable
//     --expose PATH       after hiding, make PATH visible again, read-only; repeatable
//     --writable PATH     after hiding, make PATH visible again, writable; repeatable
//     --tmpfs PATH:BYTES  a private, empty tmpfs of at most BYTES at PATH; repeatable
//     --chdir PATH        the runner's working directory
//     --user UID:GID      the runner's user and group
//     --probe             set everything up, then exit 0 instead of starting EXECUTABLE
//     --wait              after joining the cgroups, read the other options, EXECUTABLE and the
//                         runner's environment from descriptor 3 (see read_start below), so the
//                         engine can start this process before it knows what it will run
//
// Process tree: this process (outside the namespaces, the engine's child and its process
// group's leader) forks the namespace's init, which forks the runner. Init reaps everything
// (a fork bomb's orphans included) and, when the runner ends, reports how through a pipe;
// this process then ends the same way, so the engine sees the runner's own exit or signal.
// When init exits, the kernel kills whatever is left in the PID namespace.

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PATHS 64

struct path_list {
    const char *paths[MAX_PATHS];
    int count;
};

struct options {
    struct path_list cgroups, hides, exposes, writables, tmpfs;
    const char *hostname;
    const char *directory;
    const char *cpu_quota;
    int network;
    int read_only;
    int probe;
    int wait;
    uid_t uid;
    gid_t gid;
    int drop_user;
    char **command;
};

// Errors go to standard error, which the engine reads as the runner's; the prefix lets it
// tell a sandbox failure from the function's own output.
__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *format, ...) {
    char message[1024];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, sizeof message, format, arguments);
    va_end(arguments);
    dprintf(2, "isolated-sandbox: %s\n", message);
    _exit(125);
}

static void add(struct path_list *list, const char *path) {
    if (list->count == MAX_PATHS) fail("too many paths (at most %d of each kind)", MAX_PATHS);
    list->paths[list->count++] = path;
}

// Reads options from argv[1...] into `options`, which may already hold some.
static void parse(int argc, char **argv, struct options *options) {
    for (int index = 1; index < argc; index++) {
        const char *flag = argv[index];
        if (strcmp(flag, "--") == 0) {
            options->command = argv + index + 1;
            break;
        }
        int takes_value =
            strcmp(flag, "--no-network") != 0 && strcmp(flag, "--read-only") != 0 && strcmp(flag, "--probe") != 0 && strcmp(flag, "--wait") != 0;
        if (takes_value && index + 1 >= argc) fail("%s needs a value", flag);
        const char *value = takes_value ? argv[++index] : NULL;
        if (strcmp(flag, "--cgroup") == 0) add(&options->cgroups, value);
        else if (strcmp(flag, "--hide") == 0) add(&options->hides, value);
        else if (strcmp(flag, "--expose") == 0) add(&options->exposes, value);
        else if (strcmp(flag, "--writable") == 0) add(&options->writables, value);
        else if (strcmp(flag, "--tmpfs") == 0) add(&options->tmpfs, value);
        else if (strcmp(flag, "--hostname") == 0) options->hostname = value;
        else if (strcmp(flag, "--chdir") == 0) options->directory = value;
        else if (strcmp(flag, "--cpu-quota") == 0) options->cpu_quota = value;
        else if (strcmp(flag, "--no-network") == 0) options->network = 0;
        else if (strcmp(flag, "--read-only") == 0) options->read_only = 1;
        else if (strcmp(flag, "--probe") == 0) options->probe = 1;
        else if (strcmp(flag, "--wait") == 0) options->wait = 1;
        else if (strcmp(flag, "--user") == 0) {
            unsigned long uid, gid;
            if (sscanf(value, "%lu:%lu", &uid, &gid) != 2) fail("--user takes UID:GID, not %s", value);
            options->uid = (uid_t)uid;
            options->gid = (gid_t)gid;
            options->drop_user = 1;
        } else fail("unknown option %s", flag);
    }
}

// The start message of --wait, on descriptor 3 (the runner's channel, which nothing else uses
// until the runner does): its length as 4 bytes, little-endian, then NUL-terminated strings: the
// remaining options, `--` and the command, then an empty string, then the runner's environment
// as NAME=VALUE. Returns the arguments as an argv (with a placeholder argv[0]) and sets the
// environment. The engine's end closing first means it no longer needs this process.
static char **read_start(int *argc) {
    unsigned char header[4];
    size_t received = 0;
    while (received < sizeof header) {
        ssize_t length = read(3, header + received, sizeof header - received);
        if (length == 0) _exit(0);
        if (length < 0 && errno != EINTR) fail("cannot read the start message: %s", strerror(errno));
        if (length > 0) received += (size_t)length;
    }
    size_t size = (size_t)header[0] | (size_t)header[1] << 8 | (size_t)header[2] << 16 | (size_t)header[3] << 24;
    if (size == 0 || size > (1 << 24)) fail("a start message of %zu bytes", size);
    char *message = malloc(size + 1);
    if (message == NULL) fail("no memory for a start message of %zu bytes", size);
    for (received = 0; received < size;) {
        ssize_t length = read(3, message + received, size - received);
        if (length == 0) _exit(0);
        if (length < 0 && errno != EINTR) fail("cannot read the start message: %s", strerror(errno));
        if (length > 0) received += (size_t)length;
    }
    if (message[size - 1] != 0) fail("the start message does not end with NUL");
    message[size] = 0;
    int strings = 0;
    for (size_t index = 0; index < size; index++) strings += message[index] == 0;
    char **arguments = calloc((size_t)strings + 2, sizeof *arguments);
    if (arguments == NULL) fail("no memory for the start message's arguments");
    arguments[0] = "isolated-sandbox";
    int count = 1;
    char *cursor = message;
    while (cursor < message + size && *cursor) {
        arguments[count++] = cursor;
        cursor += strlen(cursor) + 1;
    }
    if (cursor >= message + size) fail("the start message has no environment section");
    cursor++;
    clearenv();
    while (cursor < message + size) {
        if (*cursor && putenv(cursor) != 0) fail("cannot set the runner's environment: %s", strerror(errno));
        cursor += strlen(cursor) + 1;
    }
    *argc = count;
    return arguments;
}

static void join_cgroups(const struct options *options) {
    char pid[32];
    int length = snprintf(pid, sizeof pid, "%d", getpid());
    for (int index = 0; index < options->cgroups.count; index++) {
        int file = open(options->cgroups.paths[index], O_WRONLY | O_CLOEXEC);
        if (file < 0 || write(file, pid, length) != length) fail("cannot join the cgroup %s: %s", options->cgroups.paths[index], strerror(errno));
        close(file);
    }
}

// The CPU cgroup made for --cpu-quota, and the one it was made under, to leave and remove at the end.
static char cpu_group[PATH_MAX + 32], cpu_parent[PATH_MAX];

static void write_file(const char *directory, const char *name, const char *text) {
    char path[sizeof cpu_group + 32];
    snprintf(path, sizeof path, "%s/%s", directory, name);
    int file = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t length = (ssize_t)strlen(text);
    if (file < 0 || write(file, text, length) != length) fail("cannot write %s to %s: %s", text, path, strerror(errno));
    close(file);
}

// A helper killed outright (a cancelled Slurm job, a runner killed at its deadline) never
// removes its group; the next helper under the same parent removes those whose process is gone.
// rmdir refuses a group that still holds a process. A helper in another PID namespace under the
// same parent would look gone and, between creating its group and joining it, could lose it:
// its runner then fails to start, naming the group.
static void remove_stale_cpu_groups(void) {
    DIR *directory = opendir(cpu_parent);
    if (directory == NULL) return;
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        int pid, length = 0;
        if (sscanf(entry->d_name, "isolated-cpu-%d%n", &pid, &length) != 1 || entry->d_name[length] != 0 || pid <= 0) continue;
        if (kill(pid, 0) == 0 || errno != ESRCH) continue;
        char path[sizeof cpu_parent + 300];
        snprintf(path, sizeof path, "%s/%s", cpu_parent, entry->d_name);
        rmdir(path);
    }
    closedir(directory);
}

static void limit_cpu(const char *spec) {
    long long quota, period;
    if (sscanf(spec, "%lld:%lld", &quota, &period) != 2 || quota <= 0 || period <= 0) fail("--cpu-quota takes QUOTA:PERIOD, not %s", spec);
    // Where this process's CPU controller is: cgroup v1 names it ("4:cpu,cpuacct:/slurm/..."),
    // v2 has one hierarchy ("0::/...").
    FILE *groups = fopen("/proc/self/cgroup", "re");
    if (groups == NULL) fail("cannot read /proc/self/cgroup: %s", strerror(errno));
    char line[PATH_MAX], mount_point[PATH_MAX + 64] = "", unified[PATH_MAX + 64] = "";
    while (fgets(line, sizeof line, groups)) {
        line[strcspn(line, "\n")] = 0;
        char *controllers = strchr(line, ':');
        char *path = controllers ? strchr(controllers + 1, ':') : NULL;
        if (path == NULL) continue;
        *path++ = 0;
        controllers++;
        if (*controllers == 0) {
            snprintf(unified, sizeof unified, "/sys/fs/cgroup%s", path);
            continue;
        }
        char list[PATH_MAX + 2];
        snprintf(list, sizeof list, ",%s,", controllers);
        if (strstr(list, ",cpu,")) snprintf(mount_point, sizeof mount_point, "/sys/fs/cgroup/%s%s", controllers, path);
    }
    fclose(groups);
    int v1 = mount_point[0] != 0;
    if (!v1 && unified[0] == 0) fail("no CPU controller in /proc/self/cgroup for --cpu-quota");
    snprintf(cpu_parent, sizeof cpu_parent, "%s", v1 ? mount_point : unified);
    remove_stale_cpu_groups();
    snprintf(cpu_group, sizeof cpu_group, "%s/isolated-cpu-%d", cpu_parent, getpid());
    if (mkdir(cpu_group, 0755) != 0 && errno != EEXIST) fail("cannot create the CPU cgroup %s: %s", cpu_group, strerror(errno));
    char text[64];
    if (v1) {
        snprintf(text, sizeof text, "%lld", period);
        write_file(cpu_group, "cpu.cfs_period_us", text);
        snprintf(text, sizeof text, "%lld", quota);
        write_file(cpu_group, "cpu.cfs_quota_us", text);
    } else {
        snprintf(text, sizeof text, "%lld %lld", quota, period);
        write_file(cpu_group, "cpu.max", text);
    }
    snprintf(text, sizeof text, "%d", getpid());
    write_file(cpu_group, "cgroup.procs", text);
}

// Back to the group it was started in, then the emptied group goes.
static void remove_cpu_group(void) {
    if (cpu_group[0] == 0) return;
    char text[32];
    snprintf(text, sizeof text, "%d", getpid());
    int file = open(cpu_parent[0] ? cpu_parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (file >= 0) {
        int procs = openat(file, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (procs >= 0) {
            if (write(procs, text, strlen(text)) < 0) {}
            close(procs);
        }
        close(file);
    }
    rmdir(cpu_group);
}

static void make_directories(const char *path) {
    char partial[PATH_MAX];
    if (strlen(path) >= sizeof partial) fail("path too long: %s", path);
    strcpy(partial, path);
    for (char *slash = partial + 1; *slash; slash++) {
        if (*slash != '/') continue;
        *slash = 0;
        mkdir(partial, 0755);
        *slash = '/';
    }
    mkdir(partial, 0755);
}

// Every mount this namespace inherited, read-only: the runner writes only where it is given
// a writable place. Mounts the kernel will not remount (some pseudo file systems) stay as
// they are; none of them is writable by an unprivileged user.
static void remount_read_only(void) {
    FILE *mounts = fopen("/proc/self/mountinfo", "re");
    if (mounts == NULL) fail("cannot read /proc/self/mountinfo: %s", strerror(errno));
    char line[4096];
    while (fgets(line, sizeof line, mounts)) {
        char point[PATH_MAX], flags[256];
        if (sscanf(line, "%*s %*s %*s %*s %4095s %255s", point, flags) != 2) continue;
        unsigned long keep = MS_REMOUNT | MS_BIND | MS_RDONLY;
        if (strstr(flags, "nosuid")) keep |= MS_NOSUID;
        if (strstr(flags, "nodev")) keep |= MS_NODEV;
        if (strstr(flags, "noexec")) keep |= MS_NOEXEC;
        if (strstr(flags, "relatime")) keep |= MS_RELATIME;
        // mountinfo escapes spaces and the like as octal; such mount points are skipped.
        if (strchr(point, '\\')) continue;
        mount(NULL, point, NULL, keep, NULL);
    }
    fclose(mounts);
}

static void set_up_mounts(const struct options *options) {
    // Opened before anything is hidden, so they can be bound back after.
    int exposed[MAX_PATHS], writable[MAX_PATHS];
    for (int index = 0; index < options->exposes.count; index++) {
        exposed[index] = open(options->exposes.paths[index], O_PATH | O_CLOEXEC);
        if (exposed[index] < 0) fail("cannot open %s: %s", options->exposes.paths[index], strerror(errno));
    }
    for (int index = 0; index < options->writables.count; index++) {
        writable[index] = open(options->writables.paths[index], O_PATH | O_CLOEXEC);
        if (writable[index] < 0) fail("cannot open %s: %s", options->writables.paths[index], strerror(errno));
    }
    // Nothing done here may reach the engine's own view of the file system.
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail("cannot make the mounts private: %s", strerror(errno));
    if (options->read_only) remount_read_only();
    // Before the rest: the engine's home may itself be under /tmp.
    for (int index = 0; index < options->tmpfs.count; index++) {
        char path[PATH_MAX];
        unsigned long long size;
        const char *colon = strrchr(options->tmpfs.paths[index], ':');
        if (colon == NULL || sscanf(colon + 1, "%llu", &size) != 1) fail("--tmpfs takes PATH:BYTES, not %s", options->tmpfs.paths[index]);
        snprintf(path, sizeof path, "%.*s", (int)(colon - options->tmpfs.paths[index]), options->tmpfs.paths[index]);
        char data[64];
        snprintf(data, sizeof data, "size=%llu,mode=1777", size);
        if (mount("none", path, "tmpfs", MS_NOSUID | MS_NODEV, data) != 0) fail("cannot mount a private %s: %s", path, strerror(errno));
    }
    for (int index = 0; index < options->hides.count; index++) {
        const char *path = options->hides.paths[index];
        make_directories(path);
        if (mount("none", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") != 0) fail("cannot hide %s: %s", path, strerror(errno));
    }
    char source[64];
    for (int index = 0; index < options->exposes.count; index++) {
        const char *path = options->exposes.paths[index];
        make_directories(path);
        snprintf(source, sizeof source, "/proc/self/fd/%d", exposed[index]);
        if (mount(source, path, NULL, MS_BIND | MS_REC, NULL) != 0) fail("cannot expose %s: %s", path, strerror(errno));
        if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0)
            fail("cannot make %s read-only: %s", path, strerror(errno));
        close(exposed[index]);
    }
    for (int index = 0; index < options->writables.count; index++) {
        const char *path = options->writables.paths[index];
        make_directories(path);
        snprintf(source, sizeof source, "/proc/self/fd/%d", writable[index]);
        if (mount(source, path, NULL, MS_BIND, NULL) != 0) fail("cannot expose %s: %s", path, strerror(errno));
        if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, NULL) != 0) fail("cannot remount %s: %s", path, strerror(errno));
        close(writable[index]);
    }
}

static void bring_up_loopback(void) {
    int control = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strcpy(request.ifr_name, "lo");
    if (control < 0 || ioctl(control, SIOCGIFFLAGS, &request) != 0) fail("cannot find the loopback interface: %s", strerror(errno));
    request.ifr_flags |= IFF_UP;
    if (ioctl(control, SIOCSIFFLAGS, &request) != 0) fail("cannot bring up the loopback interface: %s", strerror(errno));
    close(control);
}

static void become_runner(const struct options *options) {
    // Init ignores SIGPIPE; the runner starts with every signal at its default.
    signal(SIGPIPE, SIG_DFL);
    if (options->directory && chdir(options->directory) != 0) fail("cannot enter %s: %s", options->directory, strerror(errno));
    if (options->drop_user) {
        if (setgroups(0, NULL) != 0 || setgid(options->gid) != 0 || setuid(options->uid) != 0)
            fail("cannot become user %u:%u: %s", (unsigned)options->uid, (unsigned)options->gid, strerror(errno));
        if (setuid(0) == 0) fail("could regain root after dropping it");
    }
    // No set-user-ID program can give the runner back what it gave up.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("cannot set no_new_privs: %s", strerror(errno));
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    extern char **environ;
    execve(options->command[0], options->command, environ);
    fail("cannot start %s: %s", options->command[0], strerror(errno));
}

// Init: mounts the namespace's /proc, starts the runner, reaps every process, and reports the
// runner's wait status on `report` when it ends.
static void run_init(const struct options *options, int report) {
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) fail("cannot mount /proc: %s", strerror(errno));
    if (!options->network) bring_up_loopback();
    if (options->probe) {
        int status = 0;
        if (write(report, &status, sizeof status) != sizeof status) _exit(125);
        _exit(0);
    }
    signal(SIGPIPE, SIG_IGN);
    pid_t runner = fork();
    if (runner < 0) fail("cannot start the runner: %s", strerror(errno));
    if (runner == 0) {
        close(report);
        become_runner(options);
    }
    // Init keeps none of the runner's descriptors, so their other ends see the runner's end.
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int descriptor = 0; descriptor <= 3; descriptor++) dup2(null, descriptor);
    for (;;) {
        int status;
        pid_t ended = wait(&status);
        if (ended == runner) {
            if (write(report, &status, sizeof status) != sizeof status) _exit(125);
            _exit(0);
        }
        if (ended < 0 && errno == ECHILD) _exit(125);
    }
}

int main(int argc, char **argv) {
    struct options options;
    memset(&options, 0, sizeof options);
    options.network = 1;
    parse(argc, argv, &options);
    // Joining a cgroup waits for the kernel (an RCU grace period on cgroup v1: 8-12 ms here), which
    // a process started ahead of its runner with --wait has done by the time it is needed.
    join_cgroups(&options);
    if (options.cpu_quota) limit_cpu(options.cpu_quota);
    if (options.wait) {
        int count;
        char **arguments = read_start(&count);
        parse(count, arguments, &options);
    }
    if (!options.probe && (options.command == NULL || options.command[0] == NULL)) fail("no executable after --");

    // Above the descriptors the runner inherits (0 to 3), which both processes replace with /dev/null.
    int pipe_ends[2], report[2];
    if (pipe2(pipe_ends, O_CLOEXEC) != 0) fail("cannot create a pipe: %s", strerror(errno));
    for (int end = 0; end < 2; end++) {
        report[end] = fcntl(pipe_ends[end], F_DUPFD_CLOEXEC, 10);
        if (report[end] < 0) fail("cannot move a pipe: %s", strerror(errno));
        close(pipe_ends[end]);
    }
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | (options.network ? 0 : CLONE_NEWNET);
    if (unshare(flags) != 0) fail("cannot create namespaces: %s", strerror(errno));
    set_up_mounts(&options);
    if (options.hostname && sethostname(options.hostname, strlen(options.hostname)) != 0) fail("cannot set the host name: %s", strerror(errno));

    pid_t init = fork();
    if (init < 0) fail("cannot start the namespace's init: %s", strerror(errno));
    if (init == 0) {
        close(report[0]);
        run_init(&options, report[1]);
    }
    close(report[1]);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int descriptor = 0; descriptor <= 3; descriptor++) dup2(null, descriptor);

    int status = 0;
    ssize_t length;
    do length = read(report[0], &status, sizeof status);
    while (length < 0 && errno == EINTR);
    int init_status;
    while (waitpid(init, &init_status, 0) < 0 && errno == EINTR) {}
    remove_cpu_group();
    if (length != sizeof status) {
        // Init itself failed (its message is on standard error) or was killed.
        if (WIFSIGNALED(init_status)) status = init_status;
        else return WIFEXITED(init_status) ? WEXITSTATUS(init_status) : 125;
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    // End by the runner's own signal, without a core file.
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    signal(WTERMSIG(status), SIG_DFL);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    raise(WTERMSIG(status));
    return 128 + WTERMSIG(status);
}

package io.meshfed.images;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command from an unpacked image's own files, as a container runtime would: in a new mount and PID namespace
 * (util-linux {@code unshare}, needs root), with the image's root bind-mounted read-only, a fresh {@code /proc}, the
 * host's {@code /dev}, a tmpfs on every volume the image declares (or a host directory bound there), then chrooted
 * into it with the image's user and working directory. The network stays the host's, so the process reaches and is
 * reached on loopback. The process and its children end with {@link #close()} (the PID namespace dies with its
 * first process).
 */
public final class Confined implements AutoCloseable {
    private static final String SETUP = """
            set -e
            r=$1; wd=$2; uid=$3; gid=$4; shift 4
            mount --bind "$r" "$r"
            mount -o remount,bind,ro "$r"
            mount -t proc proc "$r/proc"
            mount --rbind /dev "$r/dev"
            while [ "$1" != "--" ]; do
              case "$1" in
                tmpfs=*) mount -t tmpfs -o mode=1777,size=256m tmpfs "$r${1#tmpfs=}" ;;
                bind=*) spec=${1#bind=}; mount --bind "${spec#*:}" "$r${spec%%:*}" ;;
              esac
              shift
            done
            shift
            exec unshare --root="$r" --wd="$wd" --setgid "$gid" --setuid "$uid" -- "$@"
            """;

    /** The header line of a mapping in {@code smaps}: {@code start-end perms offset dev inode [path]}. */
    private static final java.util.regex.Pattern MAPPING = java.util.regex.Pattern.compile("[0-9a-f]+-[0-9a-f]+ ");

    private final Process process;

    private Confined(Process process) {
        this.process = process;
    }

    /**
     * Starts {@code command} in {@code image}'s root. {@code binds} maps paths in the image to host directories;
     * every other volume of the image gets a tmpfs. {@code environment} is added to the image's. Output goes to
     * {@code log}.
     */
    public static Confined start(ImageRoot image, List<String> command, Map<String, String> environment,
            Map<String, Path> binds, Path log) throws IOException {
        String[] user = image.user().split(":");
        List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--pid", "--fork", "--kill-child",
                "/bin/sh", "-c", SETUP, "confined", image.rootfs().toString(), image.workingDir(), user[0],
                user.length > 1 ? user[1] : user[0]));
        for (String volume : image.volumes()) {
            Path host = binds.get(volume);
            cmd.add(host == null ? "tmpfs=" + volume : "bind=" + volume + ":" + host);
        }
        for (Map.Entry<String, Path> b : binds.entrySet()) {
            if (!image.volumes().contains(b.getKey())) {
                throw new IllegalArgumentException(b.getKey() + " is not a volume of the image");
            }
        }
        cmd.add("--");
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        pb.environment().clear();
        pb.environment().putAll(image.environment());
        pb.environment().putAll(environment);
        return new Confined(pb.start());
    }

    public Process process() {
        return process;
    }

    /** The PID (host view) of the image's own process: the first process below {@code unshare}. */
    public Optional<Long> innerPid() {
        return process.toHandle().children().findFirst().map(ProcessHandle::pid);
    }

    /** Resident set size of the image's process in KiB ({@code VmRSS}), empty once it is gone. */
    public Optional<Long> rssKiB() {
        return innerPid().flatMap(Confined::rssKiB);
    }

    /** Resident KiB per mapping of the image's process ({@code /proc/PID/smaps}), by file name, anonymous as "". */
    public java.util.SortedMap<String, Long> rssByMapping() {
        java.util.SortedMap<String, Long> sums = new java.util.TreeMap<>();
        innerPid().ifPresent(pid -> {
            try {
                String name = "";
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps"))) {
                    if (MAPPING.matcher(line).lookingAt()) {
                        String[] f = line.trim().split("\\s+", 6);
                        name = f.length > 5 ? f[5] : "";
                    } else if (line.startsWith("Rss:")) {
                        sums.merge(name, Long.parseLong(line.replaceAll("[^0-9]", "")), Long::sum);
                    }
                }
            } catch (IOException e) {
                // gone
            }
        });
        return sums;
    }

    /** CPU time (user + system, all threads) the image's process has used, in ms; empty once it is gone. */
    public Optional<Long> cpuMillis() {
        return innerPid().flatMap(pid -> {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // fields 14 and 15 of stat (utime, stime), counted from the state field (3); clock ticks of 10 ms
                return Optional.of((Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10);
            } catch (IOException e) {
                return Optional.empty();
            }
        });
    }

    static Optional<Long> rssKiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Optional.of(Long.parseLong(line.replaceAll("[^0-9]", "")));
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** SIGTERM to the image's process (as a runtime stops a container), then waits up to {@code seconds}. */
    public int stop(long seconds) throws InterruptedException {
        innerPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroy);
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            close();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        return process.isAlive() ? -1 : process.exitValue();
    }

    @Override
    public void close() {
        innerPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}

package io.meshfed.cli;

/** The process exit codes of every command (docs/cli.md lists them). */
public final class ExitCodes {
    /** Done: a reply that is not a refusal, 202 Accepted, 204 No Content, or local state read. */
    public static final int OK = 0;
    /** The function answered with a refusal: {@code *.rejected} or {@code *.failed}; every reason is printed. */
    public static final int REJECTED = 1;
    /** Bad command line or input file (picocli's own usage code); nothing was sent. */
    public static final int USAGE = 2;
    /** The receiver refused the request with a 4xx status (its field and message are printed). */
    public static final int REFUSED = 3;
    /** The receiver failed (5xx) or answered something that is not a CloudEvent. */
    public static final int REMOTE_FAILURE = 4;
    /** Nothing answered: connection refused, DNS failure, timeout; or the state could not be read. */
    public static final int UNREACHABLE = 5;
    /** The thing asked about does not exist (no client of that cluster on the bridge, no CA state). */
    public static final int NOT_FOUND = 6;

    private ExitCodes() {
    }
}

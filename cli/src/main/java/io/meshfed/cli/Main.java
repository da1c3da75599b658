package io.meshfed.cli;

/** Entry point of the runnable jar ({@code bin/meshfed}). */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(MeshfedCommand.commandLine(CliEnvironment.system()).execute(args));
    }
}

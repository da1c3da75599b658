package io.meshfed.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code meshfed completion bash|zsh}: the completion script picocli generates from the command tree (every command,
 * option and enum value), printed for the shell to source. The script serves both shells: in zsh it loads
 * {@code bashcompinit} first.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a shell completion script for meshfed (commands, options, values).",
            "bash: source it, or save it as ~/.local/share/bash-completion/completions/meshfed.",
            "zsh: the same script; sourced in zsh, it loads zsh's bashcompinit itself."},
        footerHeading = "%nExamples:%n",
        footer = {"  source <(bin/meshfed completion bash)",
            "  bin/meshfed completion zsh > ~/.zfunc/meshfed.zsh && echo 'source ~/.zfunc/meshfed.zsh' >> ~/.zshrc"})
final class CompletionCommand implements Callable<Integer> {
    enum Shell { bash, zsh }

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SHELL", arity = "0..1", description = "bash (default) or zsh.")
    Shell shell = Shell.bash;

    @Override
    public Integer call() {
        String script = AutoComplete.bash("meshfed", spec.root().commandLine());
        var out = MeshfedCommand.of(spec).environment.out();
        out.print(script);
        out.flush();
        return ExitCodes.OK;
    }
}

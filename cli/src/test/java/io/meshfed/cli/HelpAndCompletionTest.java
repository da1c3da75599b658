package io.meshfed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's help has examples that parse as that command line and name repository files that exist; the
 * completion script names every command; the manifests {@code check} compares with are the repository's.
 */
class HelpAndCompletionTest {
    private static final Path REPO = Path.of("..");
    private TestBroker broker;

    @BeforeEach
    void start() throws Exception {
        broker = new TestBroker();
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    /** Every command below the root, by its full name ("pki rotate-root introduce"). */
    static List<CommandLine> commands(CommandLine cli) {
        List<CommandLine> all = new ArrayList<>();
        for (CommandLine sub : cli.getSubcommands().values()) {
            if (!all.contains(sub)) {
                all.add(sub);
                all.addAll(commands(sub));
            }
        }
        return all.stream().distinct().toList();
    }

    static String fullName(CommandLine c) {
        return c.getCommandSpec().qualifiedName(" ").substring("meshfed ".length());
    }

    @Test
    void everyCommandThatRunsSomethingShowsExamplesThatParseAndNameFilesThatExist() {
        CommandLine root = MeshfedCommand.commandLine(Cli.quietEnvironment());
        int examples = 0;
        for (CommandLine command : commands(root)) {
            boolean runnable = command.getCommandSpec().userObject() instanceof java.util.concurrent.Callable;
            String[] footer = command.getCommandSpec().usageMessage().footer();
            if (!runnable) {
                continue;
            }
            assertTrue(footer.length > 0, fullName(command) + " has no examples in its help");
            String help = command.getUsageMessage();
            assertTrue(help.contains("Examples"), fullName(command) + ": " + help);
            boolean ownExample = false;
            for (String line : footer) {
                String text = line.strip().replaceAll("\\s+#.*$", "");
                if (!text.startsWith("bin/meshfed ") && !text.startsWith("source <(bin/meshfed ")) {
                    continue;
                }
                String args = text.replaceFirst("^source <\\(", "").replaceFirst("\\)$", "")
                        .replaceFirst(" [>|&].*$", "").substring("bin/meshfed ".length());
                List<String> words = words(args);
                CommandLine parser = MeshfedCommand.commandLine(Cli.quietEnvironment());
                CommandLine.ParseResult parsed = parser.parseArgs(words.toArray(String[]::new));
                while (parsed.hasSubcommand()) {
                    parsed = parsed.subcommand();
                }
                ownExample |= parsed.commandSpec().qualifiedName(" ").equals(command.getCommandSpec().qualifiedName(" "));
                for (String word : words) {
                    if (Stream.of("examples/", "knative/", "docs/").anyMatch(word::startsWith)) {
                        assertTrue(Files.exists(REPO.resolve(word)), fullName(command) + ": example names " + word
                                + ", which is not in the repository");
                    }
                }
                examples++;
            }
            assertTrue(ownExample, fullName(command) + ": no example runs this command itself: " + List.of(footer));
        }
        assertTrue(examples > 20, "examples checked: " + examples);
    }

    private static List<String> words(String args) {
        List<String> words = new ArrayList<>();
        var m = java.util.regex.Pattern.compile("'([^']*)'|(\\S+)").matcher(args);
        while (m.find()) {
            words.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return words;
    }

    @Test
    void theRegistrationFileTheDocsUseIsAcceptedAsIs() throws Exception {
        broker.answer(event -> TestBroker.Answer.status(202, null, ""));
        Cli.Run run = new Cli().run("--broker", broker.uri().toString(), "cluster", "register", "-f",
                "../examples/cli/register-east.yaml");
        assertEquals(0, run.exitCode(), run.err());
        var data = ClusterRegistrationTest.data(broker.only());
        assertEquals("east", data.path("name").asText());
        assertEquals(15443, data.path("eastWestGateway").path("port").asInt());
        assertEquals("none", data.path("apiAccess").asText());
        String docs = Files.readString(REPO.resolve("docs/cli.md"));
        assertTrue(docs.contains("cluster register -f examples/cli/register-east.yaml"));
        assertFalse(docs.contains("examples/clusters/east.yaml"));
    }

    @Test
    void bashCompletionNamesEveryCommandAndOption() {
        Cli.Run bash = new Cli().run("completion", "bash");
        Cli.Run zsh = new Cli().run("completion", "zsh");
        Cli.Run wrong = new Cli().run("completion", "fish");

        assertEquals(0, bash.exitCode(), bash.err());
        assertTrue(bash.out().startsWith("#!/usr/bin/env bash"), bash.out().substring(0, 80));
        assertTrue(bash.out().contains("complete -F _complete_meshfed -o default meshfed"), "registers for meshfed");
        CommandLine root = MeshfedCommand.commandLine(Cli.quietEnvironment());
        for (CommandLine command : commands(root)) {
            String name = command.getCommandName();
            assertTrue(bash.out().matches("(?s).*\\b" + java.util.regex.Pattern.quote(name) + "\\b.*"),
                    "completion lacks " + fullName(command));
            for (var option : command.getCommandSpec().options()) {
                assertTrue(bash.out().contains(option.longestName()), fullName(command) + " " + option.longestName());
            }
        }
        assertTrue(bash.out().contains("rotate-root") && bash.out().contains("--kubeconfig"));
        assertEquals(0, zsh.exitCode());
        assertTrue(zsh.out().contains("bashcompinit") && zsh.out().contains("_complete_meshfed"));
        assertEquals(ExitCodes.USAGE, wrong.exitCode());
        assertTrue(wrong.err().contains("fish"), wrong.err());
    }

    @Test
    void theScriptIsValidBash() throws Exception {
        Path script = Files.createTempFile("meshfed-completion", ".bash");
        try {
            Files.writeString(script, new Cli().run("completion", "bash").out());
            Process bash = new ProcessBuilder("bash", "-c", "source " + script + " && complete -p meshfed")
                    .redirectErrorStream(true).start();
            String out = new String(bash.getInputStream().readAllBytes());
            assertEquals(0, bash.waitFor(), out);
            assertTrue(out.contains("_complete_meshfed"), out);
        } finally {
            Files.deleteIfExists(script);
        }
    }

    @Test
    void theManifestsCheckComparesWithAreTheRepositorysOwn() throws Exception {
        assertEquals(yamlFiles("knative/manifests/crd"), CheckCommand.CRD_FILES);
        assertEquals(yamlFiles("knative/manifests/rbac"), CheckCommand.RBAC_FILES);
        List<String> serving = yamlFiles("knative/manifests/serving").stream()
                .filter(f -> {
                    try {
                        return Files.readString(REPO.resolve("knative/manifests/serving").resolve(f))
                                .contains("apiVersion: serving.knative.dev/v1");
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).toList();
        assertEquals(serving, CheckCommand.SERVING_FILES);
        for (String f : CheckCommand.CRD_FILES) {
            assertEquals(Files.readString(REPO.resolve("knative/manifests/crd").resolve(f)),
                    new String(getClass().getClassLoader().getResourceAsStream(CheckCommand.MANIFESTS + "crd/" + f)
                            .readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private static List<String> yamlFiles(String dir) throws Exception {
        try (var files = Files.list(REPO.resolve(dir))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList();
        }
    }

    @Test
    void kubernetesVersionsMeshfedSupports() {
        assertEquals(CheckCommand.Level.FAIL, CheckCommand.versionResult("1", "31", "v1.31.4", "u").level());
        assertEquals(CheckCommand.Level.OK, CheckCommand.versionResult("1", "32", "v1.32.0", "u").level());
        assertEquals(CheckCommand.Level.OK, CheckCommand.versionResult("1", "36+", "v1.36.3-gke.1", "u").level());
        assertEquals(CheckCommand.Level.WARN, CheckCommand.versionResult("1", "37", "v1.37.0", "u").level());
        assertEquals(CheckCommand.Level.WARN, CheckCommand.versionResult("1", "", "v1", "u").level());
        assertTrue(CheckCommand.versionResult("1", "30", "v1.30.1", "u").message().contains("needs 1.32 or newer"));
    }
}

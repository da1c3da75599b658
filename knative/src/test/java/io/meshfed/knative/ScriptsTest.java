package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The scripts' dry runs: the helm and kubectl commands they would run. What those commands install is
 * {@link HelmChartsTest}'s (the chart's rendering) and {@link InstallRealApiServerTest}'s (the scripts run for real).
 */
class ScriptsTest {
    static final String CHART = Manifests.MODULE.resolve("charts/meshfed").toString();

    record Run(int exit, List<String> out, String err) {
    }

    static Run run(String script, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", Manifests.MODULE.resolve(script).toString()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(Map.of("HELM", "helm"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out.lines().toList(), err);
    }

    @Test
    void deployIsOneHelmUpgradeThatReusesTheLastRunsValues() throws Exception {
        Run r = run("deploy.sh", "--dry-run", "--image-prefix", "registry.example/mf", "--tag", "1.2.3",
                "--cluster", "east", "--cluster", "west", "--", "--take-ownership");
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("helm upgrade --install meshfed " + CHART + " --namespace meshfed --reset-then-reuse-values"
                + " --set image.registry=registry.example/mf --set image.tag=1.2.3"
                + " --set-json 'clusters=[\"east\",\"west\"]' --take-ownership"), r.out());

        Run again = run("deploy.sh", "--dry-run");
        assertEquals(List.of("helm upgrade --install meshfed " + CHART + " --namespace meshfed --reset-then-reuse-values"),
                again.out(), "no option: every value as the last run left it");

        Run ns = run("deploy.sh", "--dry-run", "--namespace", "mf-apps");
        assertEquals(List.of("helm upgrade --install meshfed " + CHART + " --namespace mf-apps --reset-then-reuse-values"
                + " --set namespace=mf-apps"), ns.out());
    }

    @Test
    void undeployUninstallsTheReleaseAndPurgesOnlyWhenAsked() throws Exception {
        Run r = run("undeploy.sh", "--dry-run");
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("helm uninstall meshfed --namespace meshfed"), r.out());

        Run purge = run("undeploy.sh", "--dry-run", "--purge");
        List<String> expected = new ArrayList<>(List.of("helm uninstall meshfed --namespace meshfed"));
        for (Path f : Manifests.files(Manifests.DIR.resolve("crd"))) {
            expected.add("kubectl delete -f " + f + " --ignore-not-found");
        }
        expected.add("kubectl delete namespace meshfed meshfed-pki --ignore-not-found --wait=false");
        assertEquals(expected, purge.out(), "every CRD file, then both namespaces");
    }

    @Test
    void badArgumentsAreRefusedBeforeAnyCommand() throws Exception {
        Run r = run("deploy.sh", "--dry-run", "--cluster", "East_1");
        assertEquals(2, r.exit());
        assertEquals(List.of(), r.out());
        assertTrue(r.err().contains("--cluster 'East_1' is not a DNS-1123 label"), r.err());
        Run unknown = run("deploy.sh", "--dryrun");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("unknown argument '--dryrun'"), unknown.err());
        assertTrue(unknown.err().contains("--image-prefix"), "usage printed: " + unknown.err());
    }
}

package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.knative.eventing.v1.Trigger;
import io.fabric8.knative.eventing.v1alpha1.EventPolicy;
import io.fabric8.knative.serving.v1.Service;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kn scripts' dry runs, against commands derived here from the fabric8-parsed manifests. */
class ScriptsTest {
    record Run(int exit, List<String> out, String err) {
    }

    static Run run(String script, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", Manifests.MODULE.resolve(script).toString()));
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out.lines().toList(), err);
    }

    private static String sink(Trigger t) {
        var s = t.getSpec().getSubscriber();
        return s.getUri() != null ? s.getUri() : "ksvc:" + s.getRef().getName();
    }

    @Test
    void freshInstallCreatesEveryServiceTriggerAndPingSource() throws Exception {
        Run r = run("deploy.sh", "--dry-run", "--image-prefix", "registry.example/mf", "--tag", "1.2.3",
                "--cluster", "east", "--cluster", "west");
        assertEquals(0, r.exit(), r.err());
        List<String> expected = new ArrayList<>();
        for (Service s : Manifests.of(Service.class)) {
            String image = s.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
            String repo = image.substring(image.lastIndexOf('/') + 1, image.lastIndexOf(':'));
            expected.add("kn service create " + s.getMetadata().getName() + " -n meshfed --filename "
                    + Manifests.DIR.resolve("serving").resolve(repo + ".yaml") + " --image registry.example/mf/" + repo
                    + ":1.2.3");
        }
        for (Trigger t : Manifests.triggers()) {
            expected.add("kn trigger create " + t.getMetadata().getName() + " -n meshfed --broker "
                    + t.getSpec().getBroker() + " --filter type=" + t.getSpec().getFilter().getAttributes().get("type")
                    + " --sink " + sink(t));
        }
        for (String c : List.of("east", "west")) {
            expected.add("kn source ping create meshfed-export-sync-" + c + " -n meshfed --schedule '*/5 * * * *' "
                    + "--data '{\"cluster\":\"" + c + "\"}' --sink broker:meshfed");
        }
        expected.add("kn broker create meshfed -n meshfed --retry 5 --backoff-policy exponential --backoff-delay PT0.5S");
        expected.add("kubectl apply -f " + Manifests.DIR.resolve("crd/meshcluster.yaml"));
        for (String e : expected) {
            assertTrue(r.out().contains(e), "missing: " + e + "\nin:\n" + String.join("\n", r.out()));
        }
        long kn = r.out().stream().filter(l -> l.startsWith("kn ")).count();
        assertEquals(expected.size() - 1, kn, "no kn command beyond the expected ones");
        assertTrue(r.out().indexOf("kubectl apply -f " + Manifests.DIR.resolve("crd/meshcluster.yaml"))
                < r.out().indexOf(expected.get(0)), "CRD and RBAC before the services that use them");
        // Every EventPolicy, right after the Broker exists and before any of its senders does.
        int broker = r.out().indexOf("kn broker create meshfed -n meshfed --retry 5 --backoff-policy exponential "
                + "--backoff-delay PT0.5S");
        int firstSender = r.out().stream().filter(l -> l.startsWith("kn trigger create ")
                || l.startsWith("kn source ping create ")).mapToInt(r.out()::indexOf).min().orElseThrow();
        List<Path> policies = policyFiles();
        for (Path f : policies) {
            int at = r.out().indexOf("kubectl apply -f " + f);
            assertTrue(at > broker && at < firstSender, "policy " + f.getFileName() + " applied after the Broker and "
                    + "before its senders:\n" + String.join("\n", r.out()));
        }
        assertEquals(Manifests.of(EventPolicy.class).size(), policies.size(), "one EventPolicy per file");
        assertTrue(r.out().contains("kubectl apply -f " + Manifests.DIR.resolve("serving/xds-bridge-pdb.yaml")),
                "every manifest of serving/ that is not a Knative Service is applied, the bridge's budget too");
        assertTrue(r.out().indexOf("kubectl apply -f " + Manifests.DIR.resolve("namespace.yaml"))
                < r.out().indexOf("kubectl apply -f " + Manifests.DIR.resolve("rbac/pki.yaml")),
                "both namespaces before the Roles in them");
        // The workload-events entry: its account and its Broker policy exist before its Service starts posting.
        int entry = r.out().indexOf(r.out().stream().filter(l -> l.startsWith("kn service create "
                + ManifestsTest.WORKLOAD_EVENTS + " ")).findFirst().orElseThrow());
        for (String f : List.of("rbac/workload-events.yaml", "eventing/policies/meshfed-workload-events.yaml")) {
            int at = r.out().indexOf("kubectl apply -f " + Manifests.DIR.resolve(f));
            assertTrue(at >= 0 && at < entry, f + " applied before the entry's Service");
        }
        // What workload clusters apply (knative/workload/) is theirs: deploy.sh installs the management cluster only.
        assertTrue(r.out().stream().noneMatch(l -> l.contains(Manifests.MODULE.resolve("workload").toString())),
                String.join("\n", r.out()));
    }

    private static List<Path> policyFiles() {
        List<Path> files = Manifests.files(Manifests.DIR.resolve("eventing/policies"));
        assertTrue(files.size() >= 5, "the Broker's policies: " + files);
        return files;
    }

    @Test
    void reRunUpdatesInsteadOfCreating() throws Exception {
        Run r = run("deploy.sh", "--dry-run", "--assume-installed", "--cluster", "east");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().stream().noneMatch(l -> l.contains(" create ")), String.join("\n", r.out()));
        for (Service s : Manifests.of(Service.class)) {
            var spec = s.getSpec().getTemplate().getSpec();
            var ann = s.getSpec().getTemplate().getMetadata().getAnnotations();
            String line = "kn service update " + s.getMetadata().getName() + " -n meshfed --image "
                    + spec.getContainers().get(0).getImage() + " --scale-min " + ann.get("autoscaling.knative.dev/min-scale")
                    + " --scale-max " + ann.get("autoscaling.knative.dev/max-scale") + " --concurrency-limit "
                    + spec.getContainerConcurrency() + " --timeout " + spec.getTimeoutSeconds();
            assertTrue(r.out().contains(line), "missing: " + line);
        }
        for (Trigger t : Manifests.triggers()) {
            String line = "kn trigger update " + t.getMetadata().getName() + " -n meshfed --filter type="
                    + t.getSpec().getFilter().getAttributes().get("type") + " --sink " + sink(t);
            assertTrue(r.out().contains(line), "missing: " + line);
        }
        assertTrue(r.out().contains("kn broker update meshfed -n meshfed --retry 5 --backoff-policy exponential "
                + "--backoff-delay PT0.5S"));
    }

    @Test
    void undeployDeletesWhatDeployCreatedAndKeepsTheCrdUnlessPurged() throws Exception {
        Run r = run("undeploy.sh", "--dry-run", "--cluster", "east");
        assertEquals(0, r.exit(), r.err());
        for (Trigger t : Manifests.triggers()) {
            assertTrue(r.out().contains("kn trigger delete " + t.getMetadata().getName() + " -n meshfed"));
        }
        for (Service s : Manifests.of(Service.class)) {
            assertTrue(r.out().contains("kn service delete " + s.getMetadata().getName() + " -n meshfed"));
        }
        assertTrue(r.out().contains("kn source ping delete meshfed-export-sync-east -n meshfed"));
        assertTrue(r.out().contains("kn broker delete meshfed -n meshfed"));
        assertTrue(r.out().stream().noneMatch(l -> l.contains("crd/")), "the CRD (all clusters) stays");
        assertTrue(r.out().indexOf("kn source ping delete meshfed-export-sync-east -n meshfed")
                < r.out().indexOf("kn broker delete meshfed -n meshfed"), "sources go before the broker");
        for (Path f : policyFiles()) {
            int at = r.out().indexOf("kubectl delete -f " + f + " --ignore-not-found");
            assertTrue(at > r.out().indexOf("kn source ping delete meshfed-export-sync-east -n meshfed")
                    && at < r.out().indexOf("kn broker delete meshfed -n meshfed"),
                    "policy " + f.getFileName() + " removed after its senders, before the Broker");
        }

        Run purge = run("undeploy.sh", "--dry-run", "--purge");
        assertTrue(purge.out().contains("kubectl delete -f " + Manifests.DIR.resolve("crd/meshcluster.yaml")
                + " --ignore-not-found"));

        Run again = run("undeploy.sh", "--dry-run", "--assume-absent");
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().stream().noneMatch(l -> l.startsWith("kn ")), "nothing left to delete with kn");
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
    }
}

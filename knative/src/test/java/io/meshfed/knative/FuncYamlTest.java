package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.knative.serving.v1.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Date;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Every function module carries a func.yaml that agrees with its Knative Service manifest and that kn func accepts:
 * the fields its schema (knative/func, schema/func_yaml-schema.json) requires and allows, in particular {@code created},
 * without which kn func takes the directory for an uninitialized project.
 */
class FuncYamlTest {
    /** The schema's Function properties; it allows no others (additionalProperties: false). */
    static final Set<String> FUNCTION_FIELDS = Set.of("specVersion", "name", "domain", "runtime", "registry", "image",
            "namespace", "created", "invoke", "build", "run", "deploy");
    static final Set<String> DEPLOY_FIELDS = Set.of("namespace", "image", "annotations", "options", "labels",
            "healthEndpoints", "serviceAccountName", "subscriptions");
    static final Set<String> BUILD_FIELDS = Set.of("git", "builderImages", "buildpacks", "builder", "buildEnvs",
            "pvcSize", "remoteStorageClass");

    @Test
    void eachFunctionModuleHasAFuncYamlMatchingItsService() throws Exception {
        int functions = 0;
        for (Service s : Manifests.of(Service.class)) {
            if (s.getMetadata().getName().equals("meshfed-xds-bridge")) {
                continue; // long-running server, not a function
            }
            if (s.getMetadata().getName().equals(ManifestsTest.WORKLOAD_EVENTS)) {
                continue; // an HTTP entry point, not a CloudEvents function: deploy.sh installs it
            }
            Path module = Manifests.ROOT.resolve(s.getMetadata().getAnnotations().get("meshfed.io/module"));
            Path file = module.resolve("func.yaml");
            assertTrue(Files.isRegularFile(file), s.getMetadata().getName() + ": no " + file);
            Map<String, Object> func = new Yaml().load(Files.readString(file));
            assertEquals(s.getMetadata().getName(), func.get("name"));
            assertEquals("quarkus", func.get("runtime"));
            assertEquals("cloudevent", func.get("invoke"));
            @SuppressWarnings("unchecked")
            Map<String, Object> deploy = (Map<String, Object>) func.get("deploy");
            assertEquals(s.getSpec().getTemplate().getSpec().getServiceAccountName(), deploy.get("serviceAccountName"));
            // what kn func's schema requires and allows
            assertTrue(FUNCTION_FIELDS.containsAll(func.keySet()), file + ": fields outside func's schema: " + func.keySet());
            assertTrue(DEPLOY_FIELDS.containsAll(deploy.keySet()), file + ": deploy " + deploy.keySet());
            assertTrue(BUILD_FIELDS.containsAll(((Map<?, ?>) func.get("build")).keySet()), file + ": build");
            assertTrue(func.get("specVersion") instanceof String, file + ": specVersion is required, a string");
            Object created = func.get("created");
            assertTrue(created instanceof Date || created instanceof String s2 && isDateTime(s2),
                    file + ": created is required, an RFC 3339 date-time: " + created);
            assertTrue(((String) func.get("name")).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"), file + ": name");
            // scale and concurrency as the Service has them
            var ann = s.getSpec().getTemplate().getMetadata().getAnnotations();
            Map<?, ?> options = (Map<?, ?>) deploy.get("options");
            Map<?, ?> scale = (Map<?, ?>) options.get("scale");
            assertEquals(Integer.valueOf(ann.get("autoscaling.knative.dev/min-scale")), scale.get("min"), file + ": min");
            assertEquals(Integer.valueOf(ann.get("autoscaling.knative.dev/max-scale")), scale.get("max"), file + ": max");
            assertEquals(s.getSpec().getTemplate().getSpec().getContainerConcurrency().intValue(),
                    ((Map<?, ?>) ((Map<?, ?>) options.get("resources")).get("limits")).get("concurrency"),
                    file + ": concurrency");
            functions++;
        }
        assertEquals(3, functions);
    }

    private static boolean isDateTime(String s) {
        try {
            OffsetDateTime.parse(s);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}

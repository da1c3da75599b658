package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.knative.serving.v1.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** Every function module carries a func.yaml that agrees with its Knative Service manifest. */
class FuncYamlTest {
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
            functions++;
        }
        assertEquals(3, functions);
    }
}

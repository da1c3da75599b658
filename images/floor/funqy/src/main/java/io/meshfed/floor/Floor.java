package io.meshfed.floor;

import io.quarkus.funqy.Funq;
import java.util.Map;

/** The least a Funqy Knative-events function can do: answer a CloudEvent with a CloudEvent. */
public class Floor {
    @Funq
    public Map<String, String> floor(Map<String, String> data) {
        return Map.of("answered", "floor");
    }
}

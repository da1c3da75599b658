package io.meshfed.registration;

import io.meshfed.registration.RegistrationRequest.ApiServerInput;
import io.meshfed.registration.RegistrationRequest.CredentialsInput;
import io.meshfed.registration.RegistrationRequest.GatewayInput;
import io.meshfed.registration.RegistrationRequest.LocalityInput;

/** Registration requests for tests. */
final class Requests {
    private Requests() {
    }

    static RegistrationRequest valid(String name, String gatewayIp, String apiServerUrl, String caPem) {
        return new RegistrationRequest(name, "net-" + name, new LocalityInput("us-east1", "us-east1-b"),
                new GatewayInput(gatewayIp, 15443), name + ".example.org", "credentials",
                new ApiServerInput(apiServerUrl, caPem), new CredentialsInput("good-token", null, null));
    }

    static RegistrationRequest configOnly(String name, String gatewayIp) {
        return new RegistrationRequest(name, "net-" + name, new LocalityInput("eu-west1", null),
                new GatewayInput(gatewayIp, 15443), name + ".example.org", "none", null, null);
    }
}

package io.meshfed.registration;

import io.meshfed.model.ApiServerRef;
import io.meshfed.model.ClusterCredentials;
import java.util.Optional;

/** Checks that a workload cluster's API server answers {@code GET /version} with the given CA and credentials. */
public interface ApiServerProbe {
    /** Empty when the API server answered like a Kubernetes API server; otherwise why not. */
    Optional<RejectionReason> check(ApiServerRef apiServer, ClusterCredentials credentials);
}

package io.meshfed.xds.app;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** Starts the seeded management cluster before the app, so the app's start-up load finds catalogs. */
public class ManagementClusterResource implements QuarkusTestResourceLifecycleManager {
    static ManagementCluster mgmt;

    @Override
    public Map<String, String> start() {
        mgmt = new ManagementCluster();
        mgmt.seed();
        return mgmt.quarkusConfig();
    }

    @Override
    public void stop() {
        mgmt.close();
    }
}

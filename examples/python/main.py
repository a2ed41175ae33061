#!/usr/bin/env python3
"""The example app of cdk8s-stateful in Python: src/example.ts line by line.

It synthesizes the same charts, constructs and props as the TypeScript example that
`npm run synth` renders into dist/, and scripts/jsii/python-example.sh checks that the YAML
written here is byte-identical to dist/. Run it with the Python packages cdk8s,
cdk8s-plus-28 and cdk8s-stateful installed (see examples/python/requirements.txt):

    python main.py          # writes dist/ (or $CDK8S_OUTDIR)
"""
from cdk8s import ApiObject, ApiObjectMetadata, App, Chart, JsonPatch, Size
import cdk8s_plus_28 as kplus
from cdk8s_stateful import (
    DiskProvider,
    DiskStorageClass,
    MySqlCredentials,
    MySqlDatabaseOptions,
    MySqlNetworkPolicyOptions,
    MySqlStorageOptions,
    PortOptions,
    ReplicatedMySql,
    ServiceOptions,
    StatefulApp,
    UpdateStrategy,
    VolumeClaimOptions,
)


def build_example(app: App) -> None:
    """Adds the example charts to an app (the seeds' scenarios, as in src/example.ts)."""
    # nginx `web`: 3 replicas, each with its own 1Gi `www` volume (PVCs www-web-0..2), on an
    # encrypted EBS gp3 class that keeps volumes when claims are deleted.
    web = Chart(app, "web", namespace="web")
    disks = DiskStorageClass(web, "gp3", provider=DiskProvider.AWS_EBS_GP3)
    StatefulApp(
        web,
        "web",
        image="nginxinc/nginx-unprivileged:1.25.3",
        replicas=3,
        ports=[PortOptions(name="http", port=8080)],
        volumes=[
            VolumeClaimOptions(
                name="www", mount_path="/usr/share/nginx/html", size=Size.gibibytes(1), storage_class=disks
            )
        ],
        # nginx-unprivileged runs as uid/gid 101.
        run_as_user=101,
        run_as_group=101,
        fs_group=101,
        read_service=ServiceOptions(),
    )

    # A staged rollout: 5 replicas, and a template change only reaches ordinals >= 3 until the
    # partition is lowered (the seeds' RollingUpdate with partition).
    staged = Chart(app, "staged", namespace="web")
    StatefulApp(
        staged,
        "canary-web",
        image="nginxinc/nginx-unprivileged:1.25.3",
        replicas=5,
        ports=[PortOptions(name="http", port=8080)],
        volumes=[
            VolumeClaimOptions(
                name="www",
                mount_path="/usr/share/nginx/html",
                size=Size.gibibytes(1),
                storage_class=DiskStorageClass.from_storage_class_name("gp3"),
            )
        ],
        run_as_user=101,
        run_as_group=101,
        fs_group=101,
        update_strategy=UpdateStrategy.rolling_update(partition=3),
    )

    # Replicated MySQL (the seeds' centrepiece): namespace mysql, an encrypted EBS gp3 class,
    # 3 members with 10Gi each (PVCs data-mysql-0..2). The passwords live in the Secret
    # mysql-credentials, emitted empty: a Job fills in random ones at the first apply (no value in git).
    db = Chart(app, "mysql", namespace="mysql")
    mysql_disks = DiskStorageClass(db, "mysql-gp3", provider=DiskProvider.AWS_EBS_GP3)
    mysql = ReplicatedMySql(
        db,
        "mysql",
        replicas=3,
        storage=MySqlStorageOptions(size=Size.gibibytes(10), storage_class=mysql_disks),
        database=MySqlDatabaseOptions(name="shop", user="shop"),
        network_policy=MySqlNetworkPolicyOptions(),
        credentials=MySqlCredentials.from_generated_secret(),
    )

    # A stateless client beside the stateful database (the seeds compare the two): a Deployment
    # that reads through the read Service, like the seeds' `mysql-client-loop`.
    client = kplus.Deployment(
        db,
        "client",
        metadata=ApiObjectMetadata(name="mysql-client"),
        replicas=1,
        select=False,
        security_context=kplus.PodSecurityContextProps(user=999, group=999, ensure_non_root=True),
        containers=[
            kplus.ContainerProps(
                name="client",
                image="mysql:8.4.10",
                command=[
                    "bash",
                    "-c",
                    'while sleep 5; do mysql --defaults-extra-file=<(printf "[client]\\nuser=%s\\npassword=%s\\n" "$MYSQL_USER" "$MYSQL_PASSWORD") -h "$MYSQL_READ_HOST" -P "$MYSQL_PORT" "$MYSQL_DATABASE" -e "SELECT @@server_id, NOW()"; done',
                ],
                resources=kplus.ContainerResources(
                    cpu=kplus.CpuResources(request=kplus.Cpu.millis(10)),
                    memory=kplus.MemoryResources(request=Size.mebibytes(64), limit=Size.mebibytes(64)),
                ),
                readiness=kplus.Probe.from_command(
                    ["bash", "-c", 'mysqladmin --connect-timeout=2 -h "$MYSQL_READ_HOST" -P "$MYSQL_PORT" ping']
                ),
                security_context=kplus.ContainerSecurityContextProps(
                    ensure_non_root=True,
                    read_only_root_filesystem=True,
                    allow_privilege_escalation=False,
                    seccomp_profile=kplus.SeccompProfile(type=kplus.SeccompProfileType.RUNTIME_DEFAULT),
                    capabilities=kplus.ContainerSecutiryContextCapabilities(drop=[kplus.Capability.ALL]),
                ),
            )
        ],
    )
    labels = {"app.kubernetes.io/name": "mysql-client", "app.kubernetes.io/instance": "mysql-client"}
    for key, value in labels.items():
        client.pod_metadata.add_label(key, value)
    client.select(kplus.LabelSelector.of(labels=labels))
    # cdk8s-plus labels pods with a hash of the construct path; drop it so a refactor of this
    # code does not restart the client.
    ApiObject.of(client).add_json_patch(JsonPatch.remove("/spec/template/metadata/labels/cdk8s.io~1metadata.addr"))
    mysql.connect_client(client)


if __name__ == "__main__":
    example = App()
    build_example(example)
    example.synth()

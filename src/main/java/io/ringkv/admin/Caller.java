package io.ringkv.admin;

/**
 * Who makes an admin call, as the {@value #HEADER} header says. The ECS names itself on every call
 * it makes to a node, so that a node's fault plan can refuse the calls of an ECS it is cut off
 * from while the operator's own calls (which arm and heal the faults) still get through.
 */
public final class Caller {
    public static final String HEADER = "X-Ringkv-Caller";
    public static final String ECS = "ecs";

    private Caller() {}
}

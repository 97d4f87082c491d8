package io.ringkv;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package rules of style.md, checked on the production classes. A failure here means a
 * dependency crossed a line that keeps the cores testable without Spring or sockets: move the code,
 * or, if the line itself is wrong, change style.md and this test together.
 */
@AnalyzeClasses(packages = "io.ringkv", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    /** The client tools start in milliseconds without Spring, and the cores are plain Java. */
    @ArchTest
    static final ArchRule plainJavaPackagesDoNotUseSpring = noClasses()
            .that().resideInAnyPackage(
                    "io.ringkv.client..",
                    "io.ringkv.wire..",
                    "io.ringkv.transport..",
                    "io.ringkv.storage..",
                    "io.ringkv.common..",
                    "io.ringkv.faults..",
                    "io.ringkv.ring..",
                    "io.ringkv.cluster..",
                    "io.ringkv.replication..",
                    "io.ringkv.membership..",
                    "io.ringkv.resp..",
                    "io.ringkv.bench..")
            .should().dependOnClassesThat().resideInAnyPackage("org.springframework..")
            .because("Spring stays at the edges: plain-Java cores wired by one @Configuration per role");

    @ArchTest
    static final ArchRule transportMovesBytesOnly = noClasses()
            .that().resideInAPackage("io.ringkv.transport..")
            .should().dependOnClassesThat().resideInAnyPackage("io.ringkv.storage..", "io.ringkv.node..")
            .because("transport moves bytes and knows nothing of storage or request handling");

    @ArchTest
    static final ArchRule respGoesThroughTheNodesRequestPath = noClasses()
            .that().resideInAPackage("io.ringkv.resp..")
            .should().dependOnClassesThat().resideInAnyPackage("io.ringkv.storage..", "io.ringkv.node..")
            .because("RESP executes data commands through the node's request path (RespBackend), which may"
                    + " route them to another node, never on a storage engine directly");

    @ArchTest
    static final ArchRule storageKnowsNoNetwork = noClasses()
            .that().resideInAPackage("io.ringkv.storage..")
            .should().dependOnClassesThat().resideInAnyPackage("io.ringkv.transport..", "io.ringkv.node..")
            .because("storage engines are driven by the node, never the other way round");

    @ArchTest
    static final ArchRule wireIsPureFormat = noClasses()
            .that().resideInAPackage("io.ringkv.wire..")
            .should().dependOnClassesThat()
            .resideInAnyPackage("io.ringkv.transport..", "io.ringkv.storage..", "io.ringkv.node..")
            .because("wire formats are pure functions over bytes: no sockets, no storage, no handling");

    @ArchTest
    static final ArchRule commonIsSelfContained = classes()
            .that().resideInAPackage("io.ringkv.common..")
            .should().onlyDependOnClassesThat().resideInAnyPackage("io.ringkv.common..", "java..")
            .because("common holds small shared types that every feature may use, so it may use none of them");

    /** The coordinator's core is plain Java; only io.ringkv.ecs.api (configuration, controller) uses Spring. */
    @ArchTest
    static final ArchRule ecsCoreDoesNotUseSpring = noClasses()
            .that().resideInAPackage("io.ringkv.ecs")
            .should().dependOnClassesThat().resideInAnyPackage("org.springframework..")
            .because("the ECS's planning and state are tested with fakes, without Spring");

    @ArchTest
    static final ArchRule ecsTalksToNodesOnlyOverTheirApi = noClasses()
            .that().resideInAPackage("io.ringkv.ecs..")
            .should().dependOnClassesThat().resideInAnyPackage("io.ringkv.node..", "io.ringkv.storage..",
                    "io.ringkv.transport..")
            .because("the ECS reaches nodes through their REST API, so they can run anywhere");

    @ArchTest
    static final ArchRule featurePackagesHaveNoCycles = slices()
            .matching("io.ringkv.(*)..")
            .should().beFreeOfCycles();
}

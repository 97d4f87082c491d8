package io.ringkv.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Constructor;
import java.lang.reflect.Parameter;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Keeps {@code config/node.properties}, {@code config/ecs.properties} and the README's
 * Configuration table in step with {@link RingKvProperties}: every property listed, with the
 * default the code really has, and nothing listed that a role would reject as unknown. Each file
 * lists its role's settings: the node file everything but {@code ringkv.ecs.*}, the ECS file
 * {@code ringkv.ecs.*} and the settings the ECS shares with nodes.
 */
class PropertyDocsTest {
    private static final Map<String, String> DEFAULTS = defaults();

    @Test
    void nodePropertiesListsEveryNodePropertyAtItsDefault() throws IOException {
        checkFile("config/node.properties", name -> !name.startsWith("ringkv.ecs."));
    }

    @Test
    void ecsPropertiesListsEveryEcsPropertyAtItsDefault() throws IOException {
        checkFile("config/ecs.properties", name -> name.startsWith("ringkv.ecs.") || name.startsWith("ringkv.ring.")
                || name.equals("ringkv.replication.factor") || name.startsWith("ringkv.admin.")
                || name.equals("ringkv.cluster.gossip") || name.equals("ringkv.cluster.gossip-port-offset"));
    }

    private static void checkFile(String path, Predicate<String> listed) throws IOException {
        Properties file = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of(path))) {
            file.load(in);
        }
        DEFAULTS.forEach((name, value) -> {
            if (listed.test(name)) {
                assertThat(file.getProperty(name)).as("%s in %s", name, path).isEqualTo(value);
            }
        });
        assertThat(file.stringPropertyNames().stream().filter(n -> n.startsWith("ringkv.")))
                .as("ringkv.* names in %s that RingKvProperties does not have or the file should not list", path)
                .allMatch(name -> DEFAULTS.containsKey(name) && listed.test(name));
    }

    @Test
    void readmeTableListsEveryPropertyAtItsDefault() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        DEFAULTS.forEach((name, value) -> assertThat(readme)
                .as("README row for %s", name)
                .contains("| `" + name + "` | " + (value.isEmpty() ? "*(empty)*" : "`" + value + "`") + " |"));
    }

    /**
     * ringkv.<group>.<name> in kebab case, mapped to its {@code @DefaultValue}, read from the
     * canonical constructors' parameters as Spring's binder reads them.
     */
    private static Map<String, String> defaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        for (RecordComponent group : RingKvProperties.class.getRecordComponents()) {
            Class<?> type = group.getType();
            RecordComponent[] properties = type.getRecordComponents();
            Parameter[] parameters = canonicalConstructor(type).getParameters();
            for (int i = 0; i < properties.length; i++) {
                DefaultValue value = parameters[i].getAnnotation(DefaultValue.class);
                String text = value == null || value.value().length == 0 ? "" : String.join(",", value.value());
                defaults.put("ringkv." + kebab(group.getName()) + "." + kebab(properties[i].getName()), text);
            }
        }
        assertThat(defaults).as("properties found by reflection").isNotEmpty();
        return defaults;
    }

    private static Constructor<?> canonicalConstructor(Class<?> record) {
        Class<?>[] types = Arrays.stream(record.getRecordComponents()).map(RecordComponent::getType)
                .toArray(Class<?>[]::new);
        try {
            return record.getDeclaredConstructor(types);
        } catch (NoSuchMethodException e) {
            throw new AssertionError(record + " has no canonical constructor", e);
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }
}

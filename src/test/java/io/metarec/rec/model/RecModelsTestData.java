package io.metarec.rec.model;

import io.metarec.meta.Task;

import java.util.List;

/** Small MeLU-style tasks for tests in other packages (the fixtures of RecModelsTest). */
public final class RecModelsTestData {
    private RecModelsTestData() {}

    public static final List<FieldSpec> FIELDS = RecModelsTest.FIELDS;

    public static List<Task<Examples>> tasks(int n) {
        return RecModelsTest.tasks(n);
    }
}

UPDATE cases SET resolution_plan = resolution_plan - 'paid' WHERE resolution_plan ? 'paid';

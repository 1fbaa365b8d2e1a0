def write_results(experiment, out):
    return []

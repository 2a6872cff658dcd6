"""Scanning log lines: split, in, slicing, find, counting by level and by path."""


def main():
    levels = ["INFO", "WARN", "ERROR", "DEBUG"]
    paths = ["/", "/login", "/api/items", "/api/users", "/static/app.js", "/health"]
    log = []
    seed = 5
    for i in range(120000):
        seed = (seed * 16807) % 2147483647
        ms = seed % 900
        log.append("2026-12-07T10:" + str(10 + i % 50) + ":00 " + levels[seed % 4] + " GET " + paths[seed % 6] +
                   " status=" + str(500 if seed % 7 == 0 else 200) + " took=" + str(ms) + "ms")
    counts = {}
    slow = 0
    errors = 0
    api = 0
    longest = ""
    for line in log:
        parts = line.split(" ")
        level = parts[1]
        if level not in counts:
            counts[level] = 0
        counts[level] = counts[level] + 1
        if "status=500" in line:
            errors = errors + 1
        path = parts[3]
        if path[0:5] == "/api/":
            api = api + 1
        t = line.find("took=")
        took = line[t + 5:len(line) - 2]
        if len(took) == 3:
            slow = slow + 1
        if len(path) > len(longest):
            longest = path
    for k in counts:
        print(k + ": " + str(counts[k]))
    print("errors " + str(errors))
    print("api " + str(api))
    print("slow " + str(slow))
    print("longest " + longest)


main()

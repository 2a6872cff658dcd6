"""Binary trees: allocation of many small instances and recursion over them."""


class TreeNode:
    def __init__(self, left, right):
        self.left = left
        self.right = right

    def check(self):
        if self.left is None:
            return 1
        return 1 + self.left.check() + self.right.check()


def bottom_up_tree(depth):
    if depth > 0:
        return TreeNode(bottom_up_tree(depth - 1), bottom_up_tree(depth - 1))
    return TreeNode(None, None)


def main():
    min_depth = 4
    max_depth = 14
    stretch_depth = max_depth + 1
    print(f"stretch tree of depth {stretch_depth}\t check: {bottom_up_tree(stretch_depth).check()}")
    long_lived = bottom_up_tree(max_depth)
    for depth in range(min_depth, max_depth + 1, 2):
        iterations = 1 << (max_depth - depth + min_depth)
        check = 0
        for _ in range(iterations):
            check += bottom_up_tree(depth).check()
        print(f"{iterations}\t trees of depth {depth}\t check: {check}")
    print(f"long lived tree of depth {max_depth}\t check: {long_lived.check()}")


if __name__ == "__main__":
    main()

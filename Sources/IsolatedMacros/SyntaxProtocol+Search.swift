import SwiftSyntax

extension SyntaxProtocol {
    /// The first node of type `T` in this subtree, in source order, including this node itself.
    func firstNode<T: SyntaxProtocol>(of type: T.Type, where predicate: (T) -> Bool = { _ in true }) -> T? {
        if let node = Syntax(self).as(T.self), predicate(node) {
            return node
        }
        for child in children(viewMode: .sourceAccurate) {
            if let node = child.firstNode(of: type, where: predicate) {
                return node
            }
        }
        return nil
    }
}

package iam_test

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// The analysis: which AWS SDK operations can each binary call?
//
// It is a conservative static walk over this module's code, loaded with
// golang.org/x/tools/go/packages (types of dependencies from export data, syntax of the
// module's own packages only), in the spirit of rapid type analysis:
//
//   - Roots: the binary's main function, and every package-level variable initializer
//     and init function of the module packages it imports.
//   - A reachable function reaches every function or method it names, called or passed
//     as a value (function literals belong to the function they are written in).
//   - A module type that a reachable expression has, or that reachable code names, is
//     live, and so is every module type in its fields. A method of a live type is
//     reachable when it is called by name, or when the type implements an interface type
//     that reachable code uses (in an expression's type, a signature it calls, a field or
//     variable it names) and the method is one of that interface's, or when it has a name
//     that libraries call on any value (Error, String, MarshalJSON...). This covers calls through interfaces, including those made
//     by libraries (River calling a worker's Work: river.AddWorker takes a Worker; an
//     http.Server's Handler), without analysing the libraries.
//   - An SDK operation is called when reachable code names a method of a service's
//     *Client, a paginator or waiter constructor (which call one operation), a
//     presigner's method, or a method of a module interface that a service's *Client
//     implements (workers.Publisher is *sns.Client's Publish).
//   - Some SDK input fields and constants need more than the operation's action (Object
//     Lock headers on a put, SSE-KMS): reachable code that names them adds their actions.
//
// It over-approximates (a method of a live type is counted even if never called, a
// branch never taken is counted), never under-approximates for code in this module.
// It would miss an SDK call made only by reflection or by a library holding our client,
// neither of which this code does.

// Analysis is what was found for one entry point.
type Analysis struct {
	Ops      map[string][]string // "s3:PutObject" -> where (function names), sorted
	Features map[string][]string // "s3.PutObjectInput.ObjectLockMode" -> where
	why      map[string]string
}

const sdkService = "github.com/aws/aws-sdk-go-v2/service/"

// program is the module's packages, loaded once.
type program struct {
	pkgs    map[string]*packages.Package // module packages by path
	decls   map[*types.Func]declIn       // module functions and methods with bodies
	clients map[string]*types.Named      // service -> its Client type
	module  string
}

type declIn struct {
	decl *ast.FuncDecl
	pkg  *packages.Package
}

func load(t *testing.T, root string) *program {
	t.Helper()
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedImports | packages.NeedTypes |
			packages.NeedSyntax | packages.NeedTypesInfo | packages.NeedModule,
		Dir: root,
	}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		t.Fatalf("load the module: %v", err)
	}
	p := &program{pkgs: map[string]*packages.Package{}, decls: map[*types.Func]declIn{}, clients: map[string]*types.Named{}}
	var errs []string
	for _, pkg := range pkgs {
		for _, e := range pkg.Errors {
			errs = append(errs, e.Error())
		}
		if pkg.Module != nil {
			p.module = pkg.Module.Path
		}
		p.pkgs[pkg.PkgPath] = pkg
		for _, f := range pkg.Syntax {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
					if fn, ok := pkg.TypesInfo.Defs[fd.Name].(*types.Func); ok {
						p.decls[fn] = declIn{fd, pkg}
					}
				}
			}
		}
		// The service clients, from the dependencies' type information.
		for path, imp := range pkg.Imports {
			if svc, ok := strings.CutPrefix(path, sdkService); ok && !strings.Contains(svc, "/") && imp.Types != nil {
				if tn, ok := imp.Types.Scope().Lookup("Client").(*types.TypeName); ok {
					p.clients[svc] = tn.Type().(*types.Named)
				}
			}
		}
	}
	if len(errs) > 0 {
		t.Fatalf("the module does not type-check:\n%s", strings.Join(errs, "\n"))
	}
	return p
}

// inModule reports whether an object is declared in this module.
func (p *program) inModule(o types.Object) bool {
	return o.Pkg() != nil && (o.Pkg().Path() == p.module || strings.HasPrefix(o.Pkg().Path(), p.module+"/"))
}

// funcByName finds a module function: "trustdocs/cmd/pipelinectl.bootstrapCmd".
func (p *program) funcByName(t *testing.T, pkgPath, name string) *types.Func {
	t.Helper()
	pkg := p.pkgs[pkgPath]
	if pkg == nil {
		t.Fatalf("no package %s", pkgPath)
	}
	fn, ok := pkg.Types.Scope().Lookup(name).(*types.Func)
	if !ok {
		t.Fatalf("no function %s.%s: the policy split names it; update the test", pkgPath, name)
	}
	return fn
}

// closure is the module packages a package imports, itself included.
func (p *program) closure(pkgPath string) []*packages.Package {
	seen := map[string]bool{}
	var out []*packages.Package
	var walk func(string)
	walk = func(path string) {
		pkg, ok := p.pkgs[path]
		if !ok || seen[path] {
			return
		}
		seen[path] = true
		out = append(out, pkg)
		for imp := range pkg.Imports {
			walk(imp)
		}
	}
	walk(pkgPath)
	return out
}

// walker is one reachability run.
type walker struct {
	p        *program
	blocked  map[*types.Func]bool
	seenFunc map[*types.Func]bool
	seenType map[types.Type]bool
	ifaces   []*types.Interface // interface types reachable code uses
	types    []*types.Named     // live module types
	queue    []*types.Func
	cur      string            // the function being visited
	why      map[string]string // function -> the function that made it reachable
	res      Analysis
}

// libraryCalls are method names that libraries call on values they get as any
// (fmt, encoding/json, errors, zerolog, database/sql): no interface of theirs is in the
// signatures our code calls.
var libraryCalls = []string{"Error", "String", "GoString", "Format", "MarshalJSON", "UnmarshalJSON", "MarshalText",
	"UnmarshalText", "MarshalYAML", "UnmarshalYAML", "Is", "As", "Unwrap", "Timeout", "Temporary", "MarshalZerologObject",
	"MarshalZerologArray", "Value", "Scan", "MarshalDynamoDBAttributeValue", "UnmarshalDynamoDBAttributeValue"}

// implements pushes the methods of a live module type t that a used interface can call.
func (w *walker) implements(t *types.Named, iface *types.Interface) {
	if iface.NumMethods() == 0 {
		return
	}
	if t.TypeParams().Len() == 0 && !types.Implements(t, iface) && !types.Implements(types.NewPointer(t), iface) {
		return
	}
	// A generic type is matched by method names alone (conservative).
	for i := range iface.NumMethods() {
		name := iface.Method(i).Name()
		if m, _, _ := types.LookupFieldOrMethod(types.NewPointer(t), true, t.Obj().Pkg(), name); m != nil {
			if fn, ok := m.(*types.Func); ok {
				w.push(fn)
			}
		}
	}
}

// Reach runs the analysis from a binary's main package (withInits) or from the given
// roots alone; blocked functions are never entered.
func (p *program) Reach(mainPkg string, roots []*types.Func, withInits bool, blocked ...*types.Func) Analysis {
	w := &walker{p: p, blocked: map[*types.Func]bool{}, seenFunc: map[*types.Func]bool{}, seenType: map[types.Type]bool{},
		why: map[string]string{}, res: Analysis{Ops: map[string][]string{}, Features: map[string][]string{}}}
	for _, b := range blocked {
		w.blocked[b] = true
	}
	if withInits {
		for _, pkg := range p.closure(mainPkg) {
			for _, f := range pkg.Syntax {
				for _, d := range f.Decls {
					if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.VAR {
						w.visit(gd, pkg, pkg.PkgPath+" (package variables)")
					}
					if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "init" {
						w.visit(fd.Body, pkg, pkg.PkgPath+".init")
					}
				}
			}
		}
	}
	w.cur = ""
	for _, r := range roots {
		w.push(r)
	}
	for len(w.queue) > 0 {
		fn := w.queue[0]
		w.queue = w.queue[1:]
		if d, ok := p.decls[fn]; ok {
			w.visit(d.decl.Body, d.pkg, funcName(fn))
		}
	}
	for _, m := range []map[string][]string{w.res.Ops, w.res.Features} {
		for k, v := range m {
			sort.Strings(v)
			m[k] = dedupe(v)
		}
	}
	w.res.why = w.why
	return w.res
}

// Path is the chain of functions that made fn reachable, for a failure message.
func (a Analysis) Path(fn string) string {
	chain := []string{fn}
	for i := 0; i < 30; i++ {
		next, ok := a.why[chain[len(chain)-1]]
		if !ok || next == "" {
			break
		}
		chain = append(chain, next)
	}
	return strings.Join(chain, " <- ")
}

func (w *walker) push(fn *types.Func) {
	fn = fn.Origin()
	if w.seenFunc[fn] || w.blocked[fn] || !w.p.inModule(fn) {
		return
	}
	w.seenFunc[fn] = true
	w.why[funcName(fn)] = w.cur
	w.queue = append(w.queue, fn)
}

// live marks a type used by reachable code. A module type's methods become reachable
// when their name is dynamic, and the types of its fields are live too (their methods
// can be reached through it). An interface type, ours or a library's, makes its method
// names dynamic; a signature's parameters and results are used with it.
func (w *walker) live(t types.Type) {
	if t == nil || w.seenType[t] {
		return
	}
	w.seenType[t] = true
	switch t := t.(type) {
	case *types.Pointer:
		w.live(t.Elem())
	case *types.Slice:
		w.live(t.Elem())
	case *types.Array:
		w.live(t.Elem())
	case *types.Chan:
		w.live(t.Elem())
	case *types.Map:
		w.live(t.Key())
		w.live(t.Elem())
	case *types.Tuple:
		for i := range t.Len() {
			w.live(t.At(i).Type())
		}
	case *types.Signature:
		w.live(t.Params())
		w.live(t.Results())
	case *types.Interface:
		w.ifaces = append(w.ifaces, t)
		for _, lt := range w.types {
			w.implements(lt, t)
		}
	case *types.Struct:
		for i := range t.NumFields() {
			w.live(t.Field(i).Type())
		}
	case *types.Named:
		if _, ok := t.Underlying().(*types.Interface); ok {
			w.live(t.Underlying())
		}
		if !w.p.inModule(t.Obj()) {
			for i := range t.TypeArgs().Len() {
				w.live(t.TypeArgs().At(i))
			}
			return
		}
		o := t.Origin()
		if o != t {
			w.live(o)
			return
		}
		w.types = append(w.types, o)
		for i := range o.NumMethods() {
			if m := o.Method(i); slices.Contains(libraryCalls, m.Name()) {
				w.push(m)
			}
		}
		for _, iface := range w.ifaces {
			w.implements(o, iface)
		}
		if st, ok := o.Underlying().(*types.Struct); ok {
			w.live(st)
		}
	}
}

var (
	paginatorRE = regexp.MustCompile(`^New(\w+)Paginator$`)
	waiterRE    = regexp.MustCompile(`^New(\w+)Waiter$`)
	// waiterOps: the operation each waiter polls (its source: api_op_<Op>.go defines it).
	waiterOps = map[string]string{
		"BucketExists": "HeadBucket", "BucketNotExists": "HeadBucket",
		"ObjectExists": "HeadObject", "ObjectNotExists": "HeadObject",
		"TableExists": "DescribeTable", "TableNotExists": "DescribeTable",
		"QueueExists": "GetQueueUrl",
	}
)

// visit records what a piece of reachable code names.
func (w *walker) visit(n ast.Node, pkg *packages.Package, where string) {
	info := pkg.TypesInfo
	w.cur = where
	ast.Inspect(n, func(n ast.Node) bool {
		// Any module type a reachable expression has is live, named or not.
		if e, ok := n.(ast.Expr); ok {
			if tv, ok := info.Types[e]; ok {
				w.live(tv.Type)
			}
		}
		id, ok := n.(*ast.Ident)
		if !ok {
			return true
		}
		switch o := info.Uses[id].(type) {
		case *types.Func:
			w.sdkOp(o, where)
			w.push(o)
			w.live(o.Type())
		case *types.TypeName:
			w.live(o.Type())
		case *types.Var:
			w.live(o.Type())
			// SDK fields that need more actions, and the configuration fields that turn
			// SSE-KMS on (config.Config.DocsKMSKeyID).
			if o.IsField() && o.Pkg() != nil && (strings.HasPrefix(o.Pkg().Path(), sdkService) || o.Pkg().Path() == w.p.module+"/config") {
				if sel, ok := fieldOwner(info, id); ok {
					w.res.Features[sel+"."+o.Name()] = append(w.res.Features[sel+"."+o.Name()], where)
				}
			}
		case *types.Const:
			if o.Pkg() != nil && strings.HasPrefix(o.Pkg().Path(), sdkService) {
				k := o.Pkg().Name() + "." + o.Name()
				w.res.Features[k] = append(w.res.Features[k], where)
			}
		}
		return true
	})
}

// fieldOwner names the SDK struct a field belongs to ("s3.PutObjectInput"), from the
// composite literal or selector it is used in.
func fieldOwner(info *types.Info, id *ast.Ident) (string, bool) {
	o := info.Uses[id].(*types.Var)
	// The field's struct: search the package's named types for one with this field.
	scope := o.Pkg().Scope()
	for _, name := range scope.Names() {
		tn, ok := scope.Lookup(name).(*types.TypeName)
		if !ok {
			continue
		}
		if st, ok := tn.Type().Underlying().(*types.Struct); ok {
			for i := range st.NumFields() {
				if st.Field(i) == o {
					return o.Pkg().Name() + "." + name, true
				}
			}
		}
	}
	return "", false
}

// sdkOp records an SDK operation a referenced function stands for.
func (w *walker) sdkOp(fn *types.Func, where string) {
	add := func(svc, op string) { w.res.Ops[svc+":"+op] = append(w.res.Ops[svc+":"+op], where) }
	sig := fn.Type().(*types.Signature)
	if fn.Pkg() != nil {
		if svc, ok := strings.CutPrefix(fn.Pkg().Path(), sdkService); ok && !strings.Contains(svc, "/") {
			recv := ""
			if sig.Recv() != nil {
				if n, ok := deref(sig.Recv().Type()).(*types.Named); ok {
					recv = n.Obj().Name()
				}
			}
			switch {
			case recv == "Client" && fn.Exported() && fn.Name() != "Options":
				add(svc, fn.Name())
			case recv == "PresignClient" && strings.HasPrefix(fn.Name(), "Presign"):
				add(svc, strings.TrimPrefix(fn.Name(), "Presign"))
			case recv == "" && paginatorRE.MatchString(fn.Name()):
				add(svc, paginatorRE.FindStringSubmatch(fn.Name())[1])
			case recv == "" && waiterRE.MatchString(fn.Name()):
				w := waiterRE.FindStringSubmatch(fn.Name())[1]
				op, ok := waiterOps[w]
				if !ok {
					op = "UNKNOWN_WAITER_" + w // fails the test: add the waiter's operation to waiterOps
				}
				add(svc, op)
			}
			return
		}
	}
	// A module interface's method that a service client implements: a call through it
	// reaches the client (workers.Publisher.Publish is sns Publish).
	if sig.Recv() != nil && w.p.inModule(fn) {
		if iface, ok := sig.Recv().Type().Underlying().(*types.Interface); ok {
			for svc, client := range w.p.clients {
				if types.Implements(types.NewPointer(client), iface) {
					add(svc, fn.Name())
				}
			}
		}
	}
}

func deref(t types.Type) types.Type {
	if p, ok := t.(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}

func funcName(fn *types.Func) string {
	name := fn.Pkg().Path() + "."
	if r := fn.Type().(*types.Signature).Recv(); r != nil {
		if n, ok := deref(r.Type()).(*types.Named); ok {
			name += n.Obj().Name() + "."
		}
	}
	return strings.TrimPrefix(name+fn.Name(), "trustdocs/")
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// String prints an analysis for a failure message or the log.
func (a Analysis) String() string {
	var b strings.Builder
	keys := make([]string, 0, len(a.Ops))
	for k := range a.Ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		where := a.Ops[k]
		if len(where) > 3 {
			where = append(where[:3:3], fmt.Sprintf("and %d more", len(a.Ops[k])-3))
		}
		fmt.Fprintf(&b, "  %-40s from %s\n", k, strings.Join(where, ", "))
	}
	return b.String()
}
